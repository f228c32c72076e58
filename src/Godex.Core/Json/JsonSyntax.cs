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
/// <see cref="Vector128{T}"/> load and three compares), the last bytes of a span with a table walk: 0.45-0.47x of the
/// reader's time (<c>RelayEventCheckBenchmarks</c>, 2026-12-04; 0.57-0.59x before, with a byte-by-byte walk through
/// each string's first 24 bytes and a general vectorized search past them, whose setup cost more than most strings).
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
        if (i >= json.Length)
        {
            return false;
        }

        switch (json[i])
        {
            case (byte)'{':
                if (depth == MaxDepth)
                {
                    return false;
                }

                objects |= 1UL << depth;
                depth++;
                i = SkipWhitespace(json, i + 1);
                if (i < json.Length && json[i] == (byte)'}')
                {
                    depth--;
                    i++;
                    goto AfterValue;
                }

                goto Member;
            case (byte)'[':
                if (depth == MaxDepth)
                {
                    return false;
                }

                objects &= ~(1UL << depth);
                depth++;
                i = SkipWhitespace(json, i + 1);
                if (i < json.Length && json[i] == (byte)']')
                {
                    depth--;
                    i++;
                    goto AfterValue;
                }

                goto Value;
            case (byte)'"':
                i = SkipString(json, i);
                break;
            case (byte)'t':
                i = SkipLiteral(json, i, "true"u8);
                break;
            case (byte)'f':
                i = SkipLiteral(json, i, "false"u8);
                break;
            case (byte)'n':
                i = SkipLiteral(json, i, "null"u8);
                break;
            default:
                i = SkipNumber(json, i);
                break;
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

        if (i >= json.Length)
        {
            return false;
        }

        bool inObject = (objects & (1UL << (depth - 1))) != 0;
        if (json[i] == (byte)',')
        {
            i = SkipWhitespace(json, i + 1);
            if (inObject)
            {
                goto Member;
            }

            goto Value;
        }

        if (json[i] == (inObject ? (byte)'}' : (byte)']'))
        {
            depth--;
            i++;
            goto AfterValue;
        }

        return false;

    Member:
        if (i >= json.Length || json[i] != (byte)'"' || (i = SkipString(json, i)) < 0)
        {
            return false;
        }

        i = SkipWhitespace(json, i);
        if (i >= json.Length || json[i] != (byte)':')
        {
            return false;
        }

        i = SkipWhitespace(json, i + 1);
        goto Value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // called around every token: its fast path is one compare
    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        if (i < json.Length && json[i] > (byte)' ')
        {
            return i; // the common case in an upstream's compact JSON: no whitespace at all
        }

        while (i < json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    /// <summary>Past the string whose opening quote is at <paramref name="i"/>; -1 when it is not a valid string.</summary>
    private static int SkipString(ReadOnlySpan<byte> json, int i)
    {
        i++;
        ref byte first = ref MemoryMarshal.GetReference(json);
        Vector128<byte> space = Vector128.Create((byte)' ');
        Vector128<byte> quote = Vector128.Create((byte)'"');
        Vector128<byte> backslash = Vector128.Create((byte)'\\');
        while (true)
        {
            // 16 bytes at a time while 16 are left: one load and three compares find the first quote, backslash or
            // control character among them. Most strings of an event are names and short values, so this beats both a
            // byte-by-byte walk and a call to a general search, whose setup costs more than such a string.
            while (i <= json.Length - Vector128<byte>.Count)
            {
                Vector128<byte> block = Vector128.LoadUnsafe(ref first, (nuint)i);
                Vector128<byte> stops = Vector128.LessThan(block, space) | Vector128.Equals(block, quote) | Vector128.Equals(block, backslash);
                uint found = stops.ExtractMostSignificantBits();
                if (found != 0)
                {
                    i += BitOperations.TrailingZeroCount(found);
                    goto Stop;
                }

                i += Vector128<byte>.Count;
            }

            // The last bytes of the span, one by one (a constant table indexed by a byte needs no bounds check).
            ReadOnlySpan<byte> plain = Plain;
            while (i < json.Length && plain[json[i]] != 0)
            {
                i++;
            }

            if (i >= json.Length)
            {
                return -1; // never closed
            }

        Stop:
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
