namespace Godex.Core.Storage;

/// <summary>
/// Stored Responses-API responses, so that <c>previous_response_id</c> works on every backend (the Codex HTTP backend
/// rejects it upstream). The SQLite implementation lives with the rest of godex's state; <see cref="InMemoryResponseStore"/>
/// serves tests and <c>store: false</c>-only setups.
/// </summary>
public interface IResponseStore
{
    /// <summary>Saves a response: its id, the JSON of the conversation items it completes (input + output), and when it expires.</summary>
    ValueTask SaveAsync(StoredResponse response, CancellationToken cancellationToken);

    /// <summary>The stored response, or null when unknown or expired.</summary>
    ValueTask<StoredResponse?> GetAsync(string responseId, CancellationToken cancellationToken);

    /// <summary>Deletes a stored response (<c>DELETE /v1/responses/{id}</c>); false when there was none.</summary>
    ValueTask<bool> DeleteAsync(string responseId, CancellationToken cancellationToken);
}

/// <summary>One stored response.</summary>
/// <param name="Id">The response id (<c>resp_...</c>).</param>
/// <param name="PreviousResponseId">The response it continued, for walking the chain.</param>
/// <param name="Model">The model that answered.</param>
/// <param name="Json">The stored payload (UTF-8 JSON): what the front door needs to rebuild the conversation.</param>
/// <param name="CreatedAt">When it was stored.</param>
/// <param name="ExpiresAt">After this it is gone.</param>
public sealed record StoredResponse(string Id, string? PreviousResponseId, string Model, byte[] Json, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);
