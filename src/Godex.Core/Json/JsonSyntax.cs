using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Unicode;

namespace Godex.Core.Json;

/// <summary>
/// Says whether a span is one JSON value (RFC 8259) in UTF-8, and nothing else: the check the passthrough relay makes
/// on every upstream event it forwards byte for byte.
/// </summary>
/// <remarks>
/// It accepts exactly what <see cref="System.Text.Json.Utf8JsonReader"/> with default options reads to the end (one
/// value, surrounding whitespace, no comments or trailing commas, at most <see cref="MaxDepth"/> levels of nesting,
/// escapes well-formed but <c>\u</c> surrogates not paired); <c>JsonSyntaxTests</c> holds the two to that over
/// recorded events and their mutations. It exists because the relay only needs a yes or no, and the reader, which
/// keeps token state for every value, was the largest single item bench (c) spent above the plain copy the relay
/// replaced (6 % of godex's CPU). Here strings, the bulk of an event, are skipped 16 bytes at a time (one
/// <see cref="Vector128{T}"/> load and three compares), the last bytes of a span through its last 16 (a table walk only
/// for a span shorter than that): 0.45-0.47x of the reader's time (<c>RelayEventCheckBenchmarks</c>, 2026-12-04;
/// 0.57-0.59x before, with a byte-by-byte walk through each string's first 24 bytes and a general vectorized search past
/// them, whose setup cost more than most strings). Values are told apart by how often each comes (strings first), and a
/// member's colon right after its name takes one compare (the token loop 16.1 k → 12.8 k instructions per request of
/// bench (c), callgrind, 2026-12-04).
/// </remarks>
internal static class JsonSyntax
{
    /// <summary>The deepest nesting accepted: <see cref="System.Text.Json.JsonReaderOptions.MaxDepth"/>'s default.</summary>
    public const int MaxDepth = 64;

    // Where a run of plain string text ends: its closing quote, an escape, or a control character (never allowed raw).
    // As a table for the last bytes of a span: 1 for a byte that continues a run of plain string text (0x20 and up,
    // except '"' and '\\').
    private static ReadOnlySpan<byte> Plain =>
        [
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x00
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x10
            1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x20
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x30
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x40
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, // 0x50
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x60
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x70
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x80
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x90
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xA0
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xB0
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xC0
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xD0
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xE0
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xF0
        ];

    /// <summary>True when <paramref name="json"/> is valid UTF-8 holding one JSON value, optionally between whitespace.</summary>
    public static bool IsValid(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
        {
            return false; // strings may hold any UTF-8 below; everything outside them is checked as ASCII
        }

        int depth = 0;
        ulong objects = 0; // bit n set: the container at depth n + 1 is an object
        int i = SkipWhitespace(json, 0);

    Value:
        if ((uint)i >= (uint)json.Length)
        {
            return false;
        }

        // By how often each starts a value in an upstream's events: strings, objects, then the rest.
        byte first = json[i];
        if (first == (byte)'"')
        {
            i = SkipString(json, i + 1);
        }
        else if (first is (byte)'{' or (byte)'[')
        {
            if (depth == MaxDepth)
            {
                return false;
            }

            bool isObject = first == (byte)'{';
            objects = isObject ? objects | (1UL << depth) : objects & ~(1UL << depth);
            depth++;
            i = SkipWhitespace(json, i + 1);
            if ((uint)i < (uint)json.Length && json[i] == (isObject ? (byte)'}' : (byte)']'))
            {
                depth--;
                i++;
                goto AfterValue;
            }

            if (isObject)
            {
                goto Member;
            }

            goto Value;
        }
        else if (first == (byte)'n')
        {
            i = SkipLiteral(json, i, "null"u8);
        }
        else if (first == (byte)'t')
        {
            i = SkipLiteral(json, i, "true"u8);
        }
        else if (first == (byte)'f')
        {
            i = SkipLiteral(json, i, "false"u8);
        }
        else
        {
            i = SkipNumber(json, i);
        }

        if (i < 0)
        {
            return false;
        }

    AfterValue:
        i = SkipWhitespace(json, i);
        if (depth == 0)
        {
            return i == json.Length;
        }

        if ((uint)i >= (uint)json.Length)
        {
            return false;
        }

        byte next = json[i];
        bool inObject = (objects & (1UL << (depth - 1))) != 0;
        if (next == (byte)',')
        {
            i = SkipWhitespace(json, i + 1);
            if (inObject)
            {
                goto Member;
            }

            goto Value;
        }

        if (next == (inObject ? (byte)'}' : (byte)']'))
        {
            depth--;
            i++;
            goto AfterValue;
        }

        return false;

    Member:
        // A name, a colon, a value. Compact JSON has no whitespace around the colon: one compare finds it.
        if ((uint)i >= (uint)json.Length || json[i] != (byte)'"' || (i = SkipString(json, i + 1)) < 0)
        {
            return false;
        }

        if ((uint)i < (uint)json.Length && json[i] == (byte)':')
        {
            i = SkipWhitespace(json, i + 1);
            goto Value;
        }

        i = SkipWhitespace(json, i);
        if ((uint)i >= (uint)json.Length || json[i] != (byte)':')
        {
            return false;
        }

        i = SkipWhitespace(json, i + 1);
        goto Value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // called around every token: its fast path is one compare
    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        if ((uint)i < (uint)json.Length && json[i] > (byte)' ')
        {
            return i; // the common case in an upstream's compact JSON: no whitespace at all
        }

        while ((uint)i < (uint)json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    /// <summary>
    /// Past the string whose text starts at <paramref name="i"/> (right after its opening quote); -1 when it is not a
    /// valid string.
    /// </summary>
    private static int SkipString(ReadOnlySpan<byte> json, int i)
    {
        ref byte start = ref MemoryMarshal.GetReference(json);
        while (true)
        {
            // 16 bytes at a time: one load and three compares find the first quote, backslash or control character
            // among them. Most strings of an event are names and short values, so this beats both a byte-by-byte walk
            // and a call to a general search, whose setup costs more than such a string.
            uint found;
            if (i <= json.Length - Vector128<byte>.Count)
            {
                found = Stops(Vector128.LoadUnsafe(ref start, (nuint)i));
                if (found == 0)
                {
                    i += Vector128<byte>.Count;
                    continue;
                }
            }
            else if (json.Length >= Vector128<byte>.Count && i < json.Length)
            {
                // Fewer than 16 bytes left: the span's last 16, the ones before i masked off (no byte-by-byte walk).
                int back = i - (json.Length - Vector128<byte>.Count);
                found = Stops(Vector128.LoadUnsafe(ref start, (nuint)(json.Length - Vector128<byte>.Count))) >> back;
                if (found == 0)
                {
                    return -1; // never closed
                }
            }
            else
            {
                // A span shorter than 16 bytes: a table walk (a constant table indexed by a byte needs no bounds check).
                ReadOnlySpan<byte> plain = Plain;
                while ((uint)i < (uint)json.Length && plain[json[i]] != 0)
                {
                    i++;
                }

                if ((uint)i >= (uint)json.Length)
                {
                    return -1; // never closed
                }

                found = 1;
            }

            i += BitOperations.TrailingZeroCount(found);
            byte b = json[i];
            if (b == (byte)'"')
            {
                return i + 1;
            }

            if (b != (byte)'\\' || i + 1 >= json.Length)
            {
                return -1; // a raw control character, or an escape cut off
            }

            switch (json[i + 1])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    i += 2;
                    break;
                case (byte)'u':
                    if (i + 6 > json.Length || !IsHex(json[i + 2]) || !IsHex(json[i + 3]) || !IsHex(json[i + 4]) || !IsHex(json[i + 5]))
                    {
                        return -1;
                    }

                    i += 6;
                    break;
                default:
                    return -1;
            }
        }
    }

    /// <summary>A bit per byte of <paramref name="block"/> that ends a run of plain string text.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Stops(Vector128<byte> block) =>
        (Vector128.LessThan(block, Vector128.Create((byte)' ')) | Vector128.Equals(block, Vector128.Create((byte)'"'))
            | Vector128.Equals(block, Vector128.Create((byte)'\\'))).ExtractMostSignificantBits();

    private static int SkipLiteral(ReadOnlySpan<byte> json, int i, ReadOnlySpan<byte> literal) =>
        json[i..].StartsWith(literal) ? i + literal.Length : -1;

    /// <summary>Past the number at <paramref name="i"/>: <c>-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</c>; -1 when there is none.</summary>
    private static int SkipNumber(ReadOnlySpan<byte> json, int i)
    {
        if (json[i] == (byte)'-')
        {
            i++;
        }

        if (i >= json.Length || !char.IsAsciiDigit((char)json[i]))
        {
            return -1;
        }

        if (json[i] == (byte)'0')
        {
            i++;
        }
        else
        {
            i = SkipDigits(json, i);
        }

        if (i < json.Length && json[i] == (byte)'.')
        {
            int start = ++i;
            i = SkipDigits(json, i);
            if (i == start)
            {
                return -1;
            }
        }

        if (i < json.Length && json[i] is (byte)'e' or (byte)'E')
        {
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            int start = i;
            i = SkipDigits(json, i);
            if (i == start)
            {
                return -1;
            }
        }

        return i;
    }

    private static int SkipDigits(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && char.IsAsciiDigit((char)json[i]))
        {
            i++;
        }

        return i;
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);
}
