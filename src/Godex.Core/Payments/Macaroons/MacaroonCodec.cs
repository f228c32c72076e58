using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Godex.Core.Payments.Macaroons;

/// <summary>
/// The binary v2 macaroon format (libmacaroons' <c>MACAROON_V2</c>, go-macaroon's and npm <c>macaroon</c>'s default):
/// a version byte 2, then fields <c>type varint, length varint, data</c> — the macaroon's optional location (1) and
/// identifier (2), an end-of-section (0), per caveat its optional location (1), identifier (2) and verification id
/// (4) and an end-of-section, a final end-of-section, and the signature (6). In HTTP headers it travels as base64;
/// both the standard and the URL-safe alphabet are accepted, with or without padding.
/// </summary>
public static class MacaroonCodec
{
    private const byte Version2 = 2;
    private const int EndOfSection = 0;
    private const int FieldLocation = 1;
    private const int FieldIdentifier = 2;
    private const int FieldVerificationId = 4;
    private const int FieldSignature = 6;

    public static byte[] Encode(Macaroon macaroon)
    {
        ArgumentNullException.ThrowIfNull(macaroon);
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write([Version2]);
        if (macaroon.Location is not null)
        {
            WriteField(buffer, FieldLocation, Encoding.UTF8.GetBytes(macaroon.Location));
        }

        WriteField(buffer, FieldIdentifier, macaroon.Identifier);
        WriteVarint(buffer, EndOfSection);
        foreach (MacaroonCaveat caveat in macaroon.Caveats)
        {
            if (caveat.Location is not null)
            {
                WriteField(buffer, FieldLocation, Encoding.UTF8.GetBytes(caveat.Location));
            }

            WriteField(buffer, FieldIdentifier, caveat.Identifier);
            if (caveat.VerificationId is not null)
            {
                WriteField(buffer, FieldVerificationId, caveat.VerificationId);
            }

            WriteVarint(buffer, EndOfSection);
        }

        WriteVarint(buffer, EndOfSection);
        WriteField(buffer, FieldSignature, macaroon.Signature);
        return buffer.WrittenSpan.ToArray();
    }

    public static string EncodeBase64(Macaroon macaroon) => Convert.ToBase64String(Encode(macaroon));

    /// <summary>Decodes a v2 macaroon; false (with the reason) for anything else.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, [NotNullWhen(true)] out Macaroon? macaroon, [NotNullWhen(false)] out string? error)
    {
        macaroon = null;
        if (data.IsEmpty || data[0] != Version2)
        {
            error = "not a version 2 macaroon";
            return false;
        }

        var reader = new FieldReader(data[1..]);
        if (!reader.TryReadSection(out string? location, out byte[]? identifier, out byte[]? vid, out error) || identifier is null || vid is not null)
        {
            error ??= "the macaroon has no identifier";
            return false;
        }

        var caveats = new List<MacaroonCaveat>();
        while (true)
        {
            if (!reader.TryPeekType(out int type))
            {
                error = "truncated macaroon";
                return false;
            }

            if (type == EndOfSection)
            {
                reader.Skip(1);
                break;
            }

            if (!reader.TryReadSection(out string? caveatLocation, out byte[]? caveatId, out byte[]? caveatVid, out error) || caveatId is null)
            {
                error ??= "a caveat has no identifier";
                return false;
            }

            caveats.Add(new MacaroonCaveat(caveatId, caveatVid, caveatLocation));
        }

        if (!reader.TryReadField(out int signatureType, out byte[]? signature) || signatureType != FieldSignature || signature.Length != 32 || !reader.AtEnd)
        {
            error = "the macaroon's signature is missing or malformed";
            return false;
        }

        macaroon = new Macaroon(location, identifier, caveats, signature);
        error = null;
        return true;
    }

    /// <summary>Decodes base64 (standard or URL-safe, padding optional) then the v2 binary form.</summary>
    public static bool TryDecodeBase64(string text, [NotNullWhen(true)] out Macaroon? macaroon, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        string normalized = text.Trim().Replace('-', '+').Replace('_', '/').TrimEnd('=');
        normalized = normalized.PadRight(normalized.Length + ((4 - (normalized.Length % 4)) % 4), '=');
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(normalized);
        }
        catch (FormatException)
        {
            macaroon = null;
            error = "the macaroon is not valid base64";
            return false;
        }

        return TryDecode(bytes, out macaroon, out error);
    }

    private static void WriteField(ArrayBufferWriter<byte> buffer, int type, ReadOnlySpan<byte> data)
    {
        WriteVarint(buffer, type);
        WriteVarint(buffer, data.Length);
        buffer.Write(data);
    }

    private static void WriteVarint(ArrayBufferWriter<byte> buffer, int value)
    {
        uint v = (uint)value;
        while (v >= 0x80)
        {
            buffer.Write([(byte)(v | 0x80)]);
            v >>= 7;
        }

        buffer.Write([(byte)v]);
    }

    /// <summary>Reads fields off the binary form, refusing anything out of order or out of bounds.</summary>
    private ref struct FieldReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position == _data.Length;

        public void Skip(int count) => _position += count;

        public readonly bool TryPeekType(out int type)
        {
            type = 0;
            return _position < _data.Length && (type = _data[_position]) < 0x80;
        }

        public bool TryReadField(out int type, [NotNullWhen(true)] out byte[]? value)
        {
            value = null;
            if (!TryReadVarint(out type) || type == EndOfSection || !TryReadVarint(out int length) || length < 0 || length > _data.Length - _position)
            {
                return false;
            }

            value = _data.Slice(_position, length).ToArray();
            _position += length;
            return true;
        }

        /// <summary>One section: optional location, identifier, optional verification id, end-of-section.</summary>
        public bool TryReadSection(out string? location, out byte[]? identifier, out byte[]? vid, out string? error)
        {
            location = null;
            identifier = null;
            vid = null;
            error = null;
            int last = EndOfSection;
            while (true)
            {
                if (!TryPeekType(out int type))
                {
                    error = "truncated macaroon";
                    return false;
                }

                if (type == EndOfSection)
                {
                    Skip(1);
                    return true;
                }

                if (type <= last || !TryReadField(out type, out byte[]? value))
                {
                    error = "malformed macaroon field";
                    return false;
                }

                last = type;
                switch (type)
                {
                    case FieldLocation: location = Encoding.UTF8.GetString(value); break;
                    case FieldIdentifier: identifier = value; break;
                    case FieldVerificationId: vid = value; break;
                    default: error = $"unexpected macaroon field {type}"; return false;
                }
            }
        }

        private bool TryReadVarint(out int value)
        {
            value = 0;
            for (int shift = 0; shift < 32 && _position < _data.Length; shift += 7)
            {
                byte b = _data[_position++];
                value |= (b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
