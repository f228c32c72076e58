using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Godex.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Godex.Server.Observability.Audit;

/// <summary>
/// An append-only JSONL file written off the request path: <see cref="Write"/> formats the line and queues it; one
/// background task appends. Rotated by size like the original's files: before a write that would pass
/// <c>maxBytes</c>, <c>path.(n-1)</c> → <c>path.n</c> … <c>path</c> → <c>path.1</c>, keeping <c>maxBackups</c>
/// (0 = the file is truncated instead). Files are created 0600: they hold request bodies.
/// </summary>
internal sealed partial class JsonlFile : IAsyncDisposable
{
    private const int QueueCapacity = 8192;

    private readonly string _path;
    private readonly long _maxBytes;
    private readonly int _maxBackups;
    private readonly ILogger _logger;
    private readonly Channel<byte[]> _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    private readonly Task _loop;
    private long _dropped;

    public JsonlFile(string path, long maxBytes, int maxBackups, ILogger logger)
    {
        _path = GodexDatabase.ExpandHome(path);
        _maxBytes = maxBytes;
        _maxBackups = maxBackups;
        _logger = logger;
        string? directory = System.IO.Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _loop = Task.Run(RunAsync);
    }

    public string FilePath => _path;

    /// <summary>Queues one line: the object <paramref name="write"/> writes (without the enclosing braces' newline).</summary>
    public void Write<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer, state);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        if (!_queue.Writer.TryWrite(buffer.WrittenSpan.ToArray()) && Interlocked.Increment(ref _dropped) == 1)
        {
            Log.Dropped(_logger, _path);
        }
    }

    /// <summary>Waits until every line queued before the call is on disk (tests, shutdown).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _flushes.Enqueue(done);
        _queue.Writer.TryWrite([]);
        await done.Task.WaitAsync(cancellationToken);
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<TaskCompletionSource> _flushes = new();

    private async Task RunAsync()
    {
        FileStream? stream = null;
        try
        {
            await foreach (byte[] line in _queue.Reader.ReadAllAsync())
            {
                try
                {
                    if (line.Length > 0)
                    {
                        stream ??= Open();
                        if (stream.Length > 0 && stream.Length + line.Length > _maxBytes)
                        {
                            await stream.DisposeAsync();
                            Rotate();
                            stream = Open();
                        }

                        await stream.WriteAsync(line);
                    }

                    if (_queue.Reader.Count == 0 && stream is not null)
                    {
                        await stream.FlushAsync();
                    }
                }
                catch (IOException ex)
                {
                    Log.WriteFailed(_logger, _path, ex);
                    stream?.Dispose();
                    stream = null;
                }
                catch (UnauthorizedAccessException ex)
                {
                    Log.WriteFailed(_logger, _path, ex);
                    stream = null;
                }

                while (_queue.Reader.Count == 0 && _flushes.TryDequeue(out TaskCompletionSource? flushed))
                {
                    flushed.TrySetResult();
                }
            }
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }

            while (_flushes.TryDequeue(out TaskCompletionSource? flushed))
            {
                flushed.TrySetResult();
            }
        }
    }

    private FileStream Open()
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(_path, options);
    }

    private void Rotate()
    {
        if (_maxBackups <= 0)
        {
            File.Delete(_path);
            return;
        }

        for (int n = _maxBackups - 1; n >= 1; n--)
        {
            string from = $"{_path}.{n}";
            if (File.Exists(from))
            {
                File.Move(from, $"{_path}.{n + 1}", overwrite: true);
            }
        }

        File.Move(_path, _path + ".1", overwrite: true);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    // Event ids 2100-2101; next free: 2102.
    private static partial class Log
    {
        [LoggerMessage(2100, LogLevel.Warning, "Writing {Path} failed; the line is lost", EventName = "JsonlWriteFailed")]
        public static partial void WriteFailed(ILogger logger, string path, Exception exception);

        [LoggerMessage(2101, LogLevel.Warning, "{Path} cannot keep up (queue full): lines are being dropped", EventName = "JsonlDropped")]
        public static partial void Dropped(ILogger logger, string path);
    }
}
