using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Godex.Core.Buffers;
using Godex.Core.Conversation;

namespace Godex.Core.Json;

/// <summary>
/// Typed reads of request fields shared by the front-door parsers: a present value of the wrong JSON type throws
/// <see cref="InvalidFieldException"/> with the field's path, which each parser turns into a 400 naming the field.
/// </summary>
internal static class JsonFields
{
    /// <summary>The size of one row of <see cref="JsonDocument"/>'s token table, added to the payload's length when it rents the table.</summary>
    private const int JsonDocumentRowBytes = 12;

    /// <summary>Up to this size <see cref="JsonDocument"/> rents a 1 MiB token table, which the pool may keep.</summary>
    private const int TokenTableClampBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The frame every front-door parser shares: malformed JSON and any <see cref="InvalidFieldException"/> thrown by
    /// <paramref name="parseRoot"/> become a 400 <see cref="BackendError"/> naming the field.
    /// </summary>
    public static bool TryParse<TState, T>(
        ReadOnlyMemory<byte> json,
        JsonDocumentOptions options,
        TState state,
        Func<JsonElement, TState, T> parseRoot,
        [NotNullWhen(true)] out T? result,
        [NotNullWhen(false)] out BackendError? error)
        where T : class
    {
        result = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, options);
        }
        catch (JsonException ex)
        {
            EvictTokenTable(json.Length);
            error = BackendError.InvalidRequest("invalid JSON: " + ex.Message);
            return false;
        }

        try
        {
            result = parseRoot(document.RootElement, state);
            error = null;
            return true;
        }
        catch (InvalidFieldException ex)
        {
            error = BackendError.InvalidRequest(ex.Message, ex.Param);
            return false;
        }
        finally
        {
            document.Dispose();
            EvictTokenTable(json.Length);
        }
    }

    /// <summary>
    /// <see cref="JsonDocument"/> rents its token table from the shared pool at the payload's length plus one row (1 MiB
    /// for payloads of 1 to 4 MiB) and gives it back when parsing ends or the document is disposed: a large body's
    /// table would stay in the pool for good (issue 14), so it is taken back out for the GC.
    /// </summary>
    private static void EvictTokenTable(int payloadLength)
    {
        long table = (long)payloadLength + JsonDocumentRowBytes;
        if (table > TokenTableClampBytes)
        {
            BoundedArrayPool.Evict(table);
        }
    }

    public static bool TryGetNonNull(JsonElement element, string name, out JsonElement value) =>
        element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>Whether a member read by name (<see cref="JsonValueKind.Undefined"/> when absent) is there and not null.</summary>
    public static bool IsPresent(JsonElement value) => value.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null);

    public static void RequireKind(JsonElement element, JsonValueKind kind, string path, string expected) =>
        RequireKind<string>(element, kind, path, expected);

    /// <summary><paramref name="path"/> is formatted (<see cref="object.ToString"/>) only when the element is of another kind.</summary>
    public static void RequireKind<TPath>(JsonElement element, JsonValueKind kind, TPath path, string expected)
        where TPath : notnull
    {
        if (element.ValueKind != kind)
        {
            string at = path.ToString()!;
            throw new InvalidFieldException(at, $"{at}: expected {expected}");
        }
    }

    public static string? OptionalString(JsonElement element, string name, string path) =>
        OptionalString(Member(element, name), path);

    public static bool? OptionalBool(JsonElement element, string name, string path) =>
        OptionalBool(Member(element, name), path);

    public static int? OptionalInt(JsonElement element, string name, string path) =>
        OptionalInt(Member(element, name), path);

    public static double? OptionalDouble(JsonElement element, string name, string path) =>
        OptionalDouble(Member(element, name), path);

    /// <summary>A member's value (absent or null: null); <paramref name="path"/> is formatted only when it is not a string.</summary>
    public static string? OptionalString<TPath>(JsonElement value, TPath path)
        where TPath : notnull
    {
        if (!IsPresent(value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Expected(path, "a string");
    }

    public static bool? OptionalBool<TPath>(JsonElement value, TPath path)
        where TPath : notnull =>
        value.ValueKind switch
        {
            JsonValueKind.Undefined or JsonValueKind.Null => null,
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Expected(path, "a boolean"),
        };

    public static int? OptionalInt<TPath>(JsonElement value, TPath path)
        where TPath : notnull
    {
        if (!IsPresent(value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result) ? result : throw Expected(path, "an integer");
    }

    public static double? OptionalDouble<TPath>(JsonElement value, TPath path)
        where TPath : notnull
    {
        if (!IsPresent(value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw Expected(path, "a number");
    }

    /// <summary>The member <paramref name="name"/> of an object, or an <see cref="JsonValueKind.Undefined"/> element.</summary>
    private static JsonElement Member(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) ? value : default;

    private static InvalidFieldException Expected<TPath>(TPath path, string what)
        where TPath : notnull
    {
        string at = path.ToString()!;
        return new InvalidFieldException(at, $"{at}: expected {what}");
    }
}
