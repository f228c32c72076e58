using System.Net;
using System.Net.Http.Headers;
using Godex.Core.Conversation;

namespace Godex.Core.Backends.Anthropic;

public sealed partial class AnthropicBackend
{
    /// <summary>
    /// Same-dialect passthrough: forwards a Messages client's own body to <c>{base_url}{path}</c> (the messages or
    /// count_tokens endpoint) with only the model and the credential's needs changed (see
    /// <see cref="AnthropicPassthrough"/>), the same credential, retry and refresh rules as
    /// <see cref="StreamAsync"/>, and returns the upstream's response whatever its status: the caller relays status,
    /// headers and body bytes unchanged. A failure before any response (no login, unreachable, timeout) is the error.
    /// </summary>
    internal async Task<(HttpResponseMessage? Response, BackendError? Error)> ForwardAsync(
        ReadOnlyMemory<byte> clientBody,
        string model,
        string pathAndQuery,
        string? clientVersion,
        IReadOnlyList<string> clientBetas,
        CancellationToken cancellationToken)
    {
        (ClaudeCredential? credential, BackendError? credentialError) = await GetCredentialAsync(null, cancellationToken);
        if (credential is null)
        {
            return (null, credentialError);
        }

        string? identity = credential.IsApiKey || string.IsNullOrEmpty(_options.OAuthSystemPrefix) ? null : _options.OAuthSystemPrefix;
        byte[] body = AnthropicPassthrough.PrepareBody(clientBody.Span, model, identity);
        var uri = new Uri(_messagesUri.GetLeftPart(UriPartial.Authority) + BasePath + pathAndQuery);

        using var headersTimeout = TimeoutSources.Create(_options.ConnectTimeout, _time);
        using var sendCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, headersTimeout.Token);
        ClaudeCredential current = credential;
        (HttpResponseMessage? response, BackendError? sendError) = await SendAsync(() => CreateForwardRequest(uri, current, body, clientVersion, clientBetas), headersTimeout, sendCancellation.Token, cancellationToken);
        if (response is { StatusCode: HttpStatusCode.Unauthorized } && !credential.IsApiKey)
        {
            response.Dispose();
            (credential, credentialError) = await GetCredentialAsync(credential, cancellationToken);
            if (credential is null)
            {
                return (null, credentialError);
            }

            current = credential;
            (response, sendError) = await SendAsync(() => CreateForwardRequest(uri, current, body, clientVersion, clientBetas), headersTimeout, sendCancellation.Token, cancellationToken);
        }

        headersTimeout.CancelAfter(Timeout.InfiniteTimeSpan);
        return (response, sendError);
    }

    /// <summary>The path part of the configured base URL (usually empty), so a base URL with a prefix keeps it.</summary>
    private string BasePath => _messagesUri.AbsolutePath[..^"/v1/messages".Length];

    private HttpRequestMessage CreateForwardRequest(Uri uri, ClaudeCredential credential, byte[] body, string? clientVersion, IReadOnlyList<string> clientBetas)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpRequestHeaders headers = request.Headers;
        headers.TryAddWithoutValidation("anthropic-version", string.IsNullOrEmpty(clientVersion) ? _options.AnthropicVersion : clientVersion);
        var betas = new List<string>(clientBetas);
        if (credential.IsApiKey)
        {
            headers.TryAddWithoutValidation("x-api-key", credential.Token);
        }
        else
        {
            headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.Token);
            foreach (string beta in _options.OAuthBetas)
            {
                if (!betas.Contains(beta, StringComparer.OrdinalIgnoreCase))
                {
                    betas.Add(beta);
                }
            }

            headers.TryAddWithoutValidation("user-agent", _options.UserAgent);
            headers.TryAddWithoutValidation("x-app", "cli");
        }

        if (betas.Count > 0)
        {
            headers.TryAddWithoutValidation("anthropic-beta", string.Join(',', betas));
        }

        return request;
    }
}
