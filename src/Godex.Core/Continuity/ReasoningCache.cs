using System.Text;
using Godex.Core.Configuration;
using Godex.Core.Conversation;

namespace Godex.Core.Continuity;

/// <summary>
/// The signed reasoning of recent tool-calling turns, kept by godex for clients whose dialect cannot carry it back
/// (a Chat Completions client that drops <c>thinking_blocks</c>): keyed by the client's scope (its key id) and a tool
/// call id of the turn, so that when the client sends that call back, <see cref="ReasoningContinuity"/> puts the
/// reasoning back in front of it. Bounded three ways (<see cref="ReasoningCacheOptions"/>): entries, bytes and age;
/// the least recently used turn goes first. A scope never sees another scope's entries: the scope is part of the key.
/// Thread-safe.
/// </summary>
public sealed class ReasoningCache
{
    private readonly ReasoningCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Scope, string CallId), LinkedListNode<Entry>> _byCall = [];
    private readonly LinkedList<Entry> _recent = new();
    private long _bytes;

    public ReasoningCache(ReasoningCacheOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
    }

    /// <summary>Turns held now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _recent.Count;
            }
        }
    }

    /// <summary>Bytes held now (UTF-8 size of the reasoning texts, signatures and encrypted contents).</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Keeps one turn's reasoning under each of its tool call ids. A turn larger than the byte bound is not kept.</summary>
    public void Remember(string scope, string backend, string model, IReadOnlyList<AnchoredReasoning> reasoning, IReadOnlyList<string> callIds)
    {
        ArgumentNullException.ThrowIfNull(reasoning);
        ArgumentNullException.ThrowIfNull(callIds);
        if (reasoning.Count == 0 || callIds.Count == 0 || _options.MaxEntries <= 0)
        {
            return;
        }

        long size = 0;
        foreach (AnchoredReasoning item in reasoning)
        {
            size += SizeOf(item.Reasoning);
        }

        if (size > _options.MaxBytes)
        {
            return;
        }

        var entry = new Entry(scope, backend, model, reasoning, [.. callIds], size, _time.GetUtcNow() + _options.Ttl);
        lock (_lock)
        {
            foreach (string callId in callIds)
            {
                if (_byCall.TryGetValue((scope, callId), out LinkedListNode<Entry>? old))
                {
                    RemoveLocked(old);
                }
            }

            LinkedListNode<Entry> node = _recent.AddFirst(entry);
            foreach (string callId in callIds)
            {
                _byCall[(scope, callId)] = node;
            }

            _bytes += size;
            DateTimeOffset now = _time.GetUtcNow();
            while (_recent.Last is { } last && (_recent.Count > _options.MaxEntries || _bytes > _options.MaxBytes || last.Value.Expires <= now))
            {
                RemoveLocked(last);
            }
        }
    }

    /// <summary>The reasoning kept for the turn that made <paramref name="callId"/>, in this scope; null when none (or expired).</summary>
    public CachedReasoning? Find(string scope, string callId)
    {
        lock (_lock)
        {
            if (!_byCall.TryGetValue((scope, callId), out LinkedListNode<Entry>? node))
            {
                return null;
            }

            if (node.Value.Expires <= _time.GetUtcNow())
            {
                RemoveLocked(node);
                return null;
            }

            _recent.Remove(node);
            _recent.AddFirst(node);
            Entry entry = node.Value;
            return new CachedReasoning(entry.Backend, entry.Model, entry.Reasoning);
        }
    }

    private void RemoveLocked(LinkedListNode<Entry> node)
    {
        Entry entry = node.Value;
        foreach (string callId in entry.CallIds)
        {
            if (_byCall.TryGetValue((entry.Scope, callId), out LinkedListNode<Entry>? mapped) && ReferenceEquals(mapped, node))
            {
                _byCall.Remove((entry.Scope, callId));
            }
        }

        _recent.Remove(node);
        _bytes -= entry.Bytes;
    }

    private static long SizeOf(ReasoningPart part) =>
        Encoding.UTF8.GetByteCount(part.Text) + Length(part.Signature) + Length(part.RedactedData) + Length(part.EncryptedContent);

    private static int Length(string? text) => text is null ? 0 : Encoding.UTF8.GetByteCount(text);

    private sealed record Entry(string Scope, string Backend, string Model, IReadOnlyList<AnchoredReasoning> Reasoning, string[] CallIds, long Bytes, DateTimeOffset Expires);
}

/// <summary>A reasoning block and the tool call it came before (null: before none of them, e.g. after the last).</summary>
public sealed record AnchoredReasoning(ReasoningPart Reasoning, string? BeforeCallId);

/// <summary>What <see cref="ReasoningCache.Find"/> returns: the backend and model that made the reasoning, and the blocks.</summary>
public sealed record CachedReasoning(string Backend, string Model, IReadOnlyList<AnchoredReasoning> Reasoning);
