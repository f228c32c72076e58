namespace Godex.Core.Json;

/// <summary>
/// A request field is missing or of the wrong type. Thrown from the recursive descent of a front-door parser and
/// caught at its entry point, which turns it into a 400 <c>BackendError</c> whose <c>param</c> is <see cref="Param"/>.
/// </summary>
internal sealed class InvalidFieldException(string param, string message) : Exception(message)
{
    /// <summary>The field's path (<c>messages[2].content</c>), or null for the body as a whole.</summary>
    public string? Param { get; } = param.Length == 0 ? null : param;
}
