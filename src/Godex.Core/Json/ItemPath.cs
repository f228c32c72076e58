namespace Godex.Core.Json;

/// <summary>
/// The JSON path of an array item or of one of its members (<c>messages[3]</c>, <c>messages[3].role</c>), formatted
/// only when a parser reports it at fault: building each message's paths up front cost three or four strings per
/// message on every request, faulty or not.
/// </summary>
internal readonly struct ItemPath(string array, int index, string? member = null)
{
    /// <summary>The path of <paramref name="name"/> inside this item.</summary>
    public ItemPath Member(string name) => new(array, index, name);

    public override string ToString() => member is null ? $"{array}[{index}]" : $"{array}[{index}].{member}";
}
