namespace Godex.Core.Storage;

/// <summary>
/// Stored Responses-API responses, so that <c>previous_response_id</c> works on every backend (the Codex HTTP backend
/// rejects it upstream). The SQLite implementation lives with the rest of godex's state; <see cref="InMemoryResponseStore"/>
/// serves tests and <c>store: false</c>-only setups.
/// </summary>
/// <remarks>
/// Every stored response belongs to the identity that created it (<see cref="StoredResponse.Owner"/>: a client key's id,
/// <c>static</c>, an L402 token's id, or <c>anonymous</c>). Reads and deletes name the caller's identity and see only
/// that identity's responses: to any other caller an id is as unknown as one that never existed (a 404, not a 403, so
/// that an id's existence leaks nothing either).
/// </remarks>
public interface IResponseStore
{
    /// <summary>Saves a response: its id, its owner, the JSON of the conversation items it completes (input + output), and when it expires.</summary>
    ValueTask SaveAsync(StoredResponse response, CancellationToken cancellationToken);

    /// <summary>The stored response, or null when unknown, expired, or owned by another identity than <paramref name="owner"/>.</summary>
    ValueTask<StoredResponse?> GetAsync(string responseId, string owner, CancellationToken cancellationToken);

    /// <summary>Deletes a stored response of <paramref name="owner"/> (<c>DELETE /v1/responses/{id}</c>); false when it has none by that id.</summary>
    ValueTask<bool> DeleteAsync(string responseId, string owner, CancellationToken cancellationToken);
}

/// <summary>One stored response.</summary>
/// <param name="Id">The response id (<c>resp_...</c>).</param>
/// <param name="PreviousResponseId">The response it continued, for walking the chain.</param>
/// <param name="Model">The model that answered.</param>
/// <param name="Json">The stored payload (UTF-8 JSON): what the front door needs to rebuild the conversation.</param>
/// <param name="CreatedAt">When it was stored.</param>
/// <param name="ExpiresAt">After this it is gone.</param>
/// <param name="Owner">The identity that created it; only that identity can read, continue or delete it.</param>
public sealed record StoredResponse(string Id, string? PreviousResponseId, string Model, byte[] Json, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string Owner);
