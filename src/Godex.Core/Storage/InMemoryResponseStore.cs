using System.Collections.Concurrent;

namespace Godex.Core.Storage;

/// <summary>A process-local <see cref="IResponseStore"/> with the same expiry and ownership semantics as the database one.</summary>
public sealed class InMemoryResponseStore(TimeProvider time) : IResponseStore
{
    private readonly ConcurrentDictionary<string, StoredResponse> _responses = new(StringComparer.Ordinal);

    public ValueTask SaveAsync(StoredResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        _responses[response.Id] = response;
        return ValueTask.CompletedTask;
    }

    public ValueTask<StoredResponse?> GetAsync(string responseId, string owner, CancellationToken cancellationToken)
    {
        if (_responses.TryGetValue(responseId, out StoredResponse? response)
            && string.Equals(response.Owner, owner, StringComparison.Ordinal)
            && response.ExpiresAt > time.GetUtcNow())
        {
            return ValueTask.FromResult<StoredResponse?>(response);
        }

        return ValueTask.FromResult<StoredResponse?>(null);
    }

    public ValueTask<bool> DeleteAsync(string responseId, string owner, CancellationToken cancellationToken)
    {
        // Remove only the entry seen as the owner's: a concurrent save by someone else under the same id stays.
        if (!_responses.TryGetValue(responseId, out StoredResponse? response) || !string.Equals(response.Owner, owner, StringComparison.Ordinal))
        {
            return ValueTask.FromResult(false);
        }

        return ValueTask.FromResult(_responses.TryRemove(new KeyValuePair<string, StoredResponse>(responseId, response)));
    }
}
