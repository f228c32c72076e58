using System.Collections.Concurrent;

namespace Godex.Core.Storage;

/// <summary>A process-local <see cref="IResponseStore"/> with the same expiry semantics as the database one.</summary>
public sealed class InMemoryResponseStore(TimeProvider time) : IResponseStore
{
    private readonly ConcurrentDictionary<string, StoredResponse> _responses = new(StringComparer.Ordinal);

    public ValueTask SaveAsync(StoredResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        _responses[response.Id] = response;
        return ValueTask.CompletedTask;
    }

    public ValueTask<StoredResponse?> GetAsync(string responseId, CancellationToken cancellationToken)
    {
        if (_responses.TryGetValue(responseId, out StoredResponse? response) && response.ExpiresAt > time.GetUtcNow())
        {
            return ValueTask.FromResult<StoredResponse?>(response);
        }

        return ValueTask.FromResult<StoredResponse?>(null);
    }

    public ValueTask<bool> DeleteAsync(string responseId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_responses.TryRemove(responseId, out _));
}
