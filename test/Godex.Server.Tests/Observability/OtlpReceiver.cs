using System.Collections.Concurrent;
using System.Text;
using Godex.TestUtilities;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Godex.Server.Tests.Observability;

/// <summary>
/// A minimal OTLP/HTTP traces receiver: a real Kestrel endpoint at <c>/v1/traces</c> that decodes the protobuf
/// <c>ExportTraceServiceRequest</c> (the fields a span needs) with a small wire-format reader, and answers 200 with an
/// empty <c>ExportTraceServiceResponse</c> as a collector does.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly KestrelTestHost _host;

    private OtlpReceiver(KestrelTestHost host) => _host = host;

    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();

    /// <summary>Every export's <c>x-collector-tenant</c> header (set by <c>proxy.tracing.headers</c> in the tests).</summary>
    public ConcurrentQueue<string> Tenants { get; } = new();

    public Uri Endpoint => _host.BaseAddress;

    public static async Task<OtlpReceiver> StartAsync()
    {
        OtlpReceiver? receiver = null;
        KestrelTestHost host = await KestrelTestHost.StartAsync(_ => { }, app => app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            receiver!.Tenants.Enqueue(context.Request.Headers["x-collector-tenant"].ToString());
            foreach (ReceivedSpan span in Decode(body.ToArray()))
            {
                receiver.Spans.Enqueue(span);
            }

            context.Response.ContentType = "application/x-protobuf";
        }), TestContext.Current.CancellationToken);
        receiver = new OtlpReceiver(host);
        return receiver;
    }

    /// <summary>ExportTraceServiceRequest: 1 resource_spans { 2 scope_spans { 2 spans } }.</summary>
    private static IEnumerable<ReceivedSpan> Decode(byte[] request)
    {
        foreach ((int _, ReadOnlyMemory<byte> resourceSpans) in Messages(request, 1))
        {
            foreach ((int _, ReadOnlyMemory<byte> scopeSpans) in Messages(resourceSpans, 2))
            {
                foreach ((int _, ReadOnlyMemory<byte> span) in Messages(scopeSpans, 2))
                {
                    yield return DecodeSpan(span);
                }
            }
        }
    }

    /// <summary>Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes (KeyValue: 1 key, 2 AnyValue).</summary>
    private static ReceivedSpan DecodeSpan(ReadOnlyMemory<byte> span)
    {
        string traceId = "", spanId = "", parentId = "", name = "";
        int kind = 0;
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal);
        var reader = new WireReader(span);
        while (reader.Next(out int field, out int wireType))
        {
            switch (field, wireType)
            {
                case (1, 2): traceId = Convert.ToHexStringLower(reader.Bytes().Span); break;
                case (2, 2): spanId = Convert.ToHexStringLower(reader.Bytes().Span); break;
                case (4, 2): parentId = Convert.ToHexStringLower(reader.Bytes().Span); break;
                case (5, 2): name = Encoding.UTF8.GetString(reader.Bytes().Span); break;
                case (6, 0): kind = (int)reader.Varint(); break;
                case (9, 2):
                    (string key, object value) = DecodeAttribute(reader.Bytes());
                    attributes[key] = value;
                    break;
                default: reader.Skip(wireType); break;
            }
        }

        return new ReceivedSpan(traceId, spanId, parentId, name, kind, attributes);
    }

    /// <summary>AnyValue: 1 string, 2 bool, 3 int, 4 double.</summary>
    private static (string Key, object Value) DecodeAttribute(ReadOnlyMemory<byte> keyValue)
    {
        string key = "";
        object value = "";
        var reader = new WireReader(keyValue);
        while (reader.Next(out int field, out int wireType))
        {
            if (field == 1 && wireType == 2)
            {
                key = Encoding.UTF8.GetString(reader.Bytes().Span);
            }
            else if (field == 2 && wireType == 2)
            {
                var any = new WireReader(reader.Bytes());
                while (any.Next(out int f, out int w))
                {
                    value = (f, w) switch
                    {
                        (1, 2) => Encoding.UTF8.GetString(any.Bytes().Span),
                        (2, 0) => any.Varint() != 0,
                        (3, 0) => (long)any.Varint(),
                        (4, 1) => BitConverter.Int64BitsToDouble((long)any.Fixed64()),
                        _ => Skipped(ref any, w),
                    };
                }
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return (key, value);
    }

    private static string Skipped(ref WireReader reader, int wireType)
    {
        reader.Skip(wireType);
        return "";
    }

    private static List<(int Field, ReadOnlyMemory<byte> Body)> Messages(ReadOnlyMemory<byte> message, int wanted)
    {
        var reader = new WireReader(message);
        var found = new List<(int, ReadOnlyMemory<byte>)>();
        while (reader.Next(out int field, out int wireType))
        {
            if (field == wanted && wireType == 2)
            {
                found.Add((field, reader.Bytes()));
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return found;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    /// <summary>The protobuf wire format: tags, varints, fixed64 and length-delimited fields.</summary>
    private struct WireReader(ReadOnlyMemory<byte> data)
    {
        private int _position;

        public bool Next(out int field, out int wireType)
        {
            if (_position >= data.Length)
            {
                field = wireType = 0;
                return false;
            }

            ulong tag = Varint();
            field = (int)(tag >> 3);
            wireType = (int)(tag & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = data.Span[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
        }

        public ulong Fixed64()
        {
            ulong value = BitConverter.ToUInt64(data.Span.Slice(_position, 8));
            _position += 8;
            return value;
        }

        public ReadOnlyMemory<byte> Bytes()
        {
            int length = (int)Varint();
            ReadOnlyMemory<byte> bytes = data.Slice(_position, length);
            _position += length;
            return bytes;
        }

        public void Skip(int wireType)
        {
            switch (wireType)
            {
                case 0: Varint(); break;
                case 1: _position += 8; break;
                case 2: Bytes(); break;
                case 5: _position += 4; break;
                default: throw new InvalidDataException("unsupported wire type " + wireType);
            }
        }
    }
}

/// <summary>One span as the receiver decoded it (kind: 2 server, 3 client).</summary>
internal sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, object> Attributes);
