using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Godex.Core.Auth;
using Godex.Core.Backends.Upstream;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Dialects.ChatCompletions;
using Godex.Core.Dialects.Responses;

namespace Godex.Core.Backends.OpenAI;

/// <summary>
/// An OpenAI-compatible upstream (<c>proxy.backends.custom.&lt;name&gt;</c>) as the send path sees it: its configured
/// key as a bearer (<c>auth.type: api_key|bearer</c>, from <c>key_env</c> or <c>key</c> with <c>$VAR</c> expanded),
/// its own headers (<c>auth.type: header</c>) or nothing (<c>none</c>), and OpenAI's error shape. An API key cannot be
/// refreshed: a 401 is the answer.
/// </summary>
internal sealed class OpenAICompatibleProfile : UpstreamProfile<OpenAICompatibleKey>
{
    private readonly CustomBackendOptions _options;
    private readonly OpenAICompatibleKey? _configured;
    private readonly string? _missing;

    /// <param name="options">The backend's settings.</param>
    /// <param name="getEnv">Reads the environment for <c>key_env</c> and <c>$VAR</c>.</param>
    /// <param name="account">One of the backend's <c>accounts:</c>: its key is sent as the bearer instead of <c>auth</c>'s.</param>
    public OpenAICompatibleProfile(CustomBackendOptions options, Func<string, string?> getEnv, AccountOptions? account = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(getEnv);
        _options = options;
        CustomAuthOptions auth = options.Auth;
        if (account is not null)
        {
            (_configured, _missing) = Bearer(account.KeyEnv, account.ApiKey, $"accounts.{account.Name}.api_key", getEnv);
            return;
        }

        switch (auth.Type)
        {
            case "api_key" or "bearer":
                (_configured, _missing) = Bearer(auth.KeyEnv, auth.Key, "auth.key", getEnv);
                break;
            case "header":
                var headers = new List<KeyValuePair<string, string>>(auth.Headers.Count);
                foreach ((string name, string value) in auth.Headers)
                {
                    string expanded = Expand(value, getEnv) ?? "";
                    if (!UpstreamHeaders.IsSafeName(name) || !UpstreamHeaders.IsSafeValue(expanded))
                    {
                        _missing = $"auth.headers.{name} is empty or not a valid header";
                        break;
                    }

                    headers.Add(new(name, expanded));
                }

                _configured = _missing is null ? new OpenAICompatibleKey(null, headers, fromClient: false) : null;
                break;
            default:
                _configured = OpenAICompatibleKey.None;
                break;
        }
    }

    /// <summary>A bearer key from <paramref name="keyEnv"/>, else <paramref name="key"/> with <c>$VAR</c> expanded; or why there is none.</summary>
    private static (OpenAICompatibleKey? Key, string? Missing) Bearer(string? keyEnv, string? key, string keyName, Func<string, string?> getEnv)
    {
        string? value = keyEnv is { } env ? getEnv(env) : Expand(key, getEnv);
        if (string.IsNullOrWhiteSpace(value))
        {
            return (null, keyEnv is { } name ? $"${name} is not set" : $"{keyName} is empty");
        }

        return UpstreamHeaders.IsSafeValue(value.Trim())
            ? (new OpenAICompatibleKey(value.Trim(), [], fromClient: false), null)
            : (null, "the key has characters a header cannot carry");
    }

    public override string Name => _options.Name;

    public override string DisplayName => $"the {_options.Name} upstream";

    public override UpstreamOptions Options => _options;

    /// <summary>An error chunk as the stream's first event (OpenRouter's way of refusing inside a 200) is a refusal: retried, and a status to the client.</summary>
    internal override IRelayRules PreambleRules => _options.SpeaksResponses ? ResponsesRelayRules.Instance : ChatCompletionsRelayRules.Instance;

    /// <summary>Why the configured key is unusable, or null.</summary>
    public string? MissingKey => _missing;

    public override ValueTask<OpenAICompatibleKey> GetCredentialAsync(OpenAICompatibleKey? rejected, CancellationToken cancellationToken)
    {
        if (rejected is not null)
        {
            // A key has no refresh; a rejected client key must never be retried with the operator's.
            return ValueTask.FromResult(rejected);
        }

        return _configured is { } key
            ? ValueTask.FromResult(key)
            : throw new CredentialException($"the {_options.Name} backend has no usable key: {_missing}");
    }

    public override bool SameCredential(OpenAICompatibleKey first, OpenAICompatibleKey second) => ReferenceEquals(first, second);

    public override string Describe(OpenAICompatibleKey credential) => credential.ToString();

    public override void AddHeaders(HttpRequestHeaders headers, OpenAICompatibleKey credential, UpstreamHeaders clientHeaders)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(credential);
        if (credential.Bearer is { } bearer)
        {
            headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        foreach ((string name, string value) in credential.Headers)
        {
            headers.TryAddWithoutValidation(name, value); // checked when the backend started
        }

        headers.TryAddWithoutValidation("User-Agent", "godex");
    }

    public override BackendError ReadError(int status, ReadOnlySpan<byte> body)
    {
        BackendError? error = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            error = ChatCompletionsErrors.FromRoot(document.RootElement, status);
            if (error is null && document.RootElement.ValueKind == JsonValueKind.Object
                && (document.RootElement.TryGetProperty("detail"u8, out JsonElement detail) || document.RootElement.TryGetProperty("message"u8, out detail))
                && detail.ValueKind == JsonValueKind.String)
            {
                error = BackendError.Upstream(status, detail.GetString() ?? "");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not JSON (a proxy's HTML page): the text below speaks for it.
        }

        if (error is null || string.IsNullOrWhiteSpace(error.Message))
        {
            string text = Encoding.UTF8.GetString(body).Trim();
            error = BackendError.Upstream(status, text.Length == 0
                ? $"{DisplayName} answered {status}"
                : $"{DisplayName} answered {status}: {(text.Length > 512 ? text[..512] : text)}");
        }

        return error;
    }

    /// <summary><c>$VAR</c> and <c>${VAR}</c> replaced by the environment (unset: empty), as in the original.</summary>
    internal static string? Expand(string? text, Func<string, string?> getEnv)
    {
        if (text is null || !text.Contains('$', StringComparison.Ordinal))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 >= text.Length)
            {
                builder.Append(text[i]);
                continue;
            }

            bool braced = text[i + 1] == '{';
            int start = braced ? i + 2 : i + 1;
            int end = start;
            while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
            {
                end++;
            }

            if (end == start || (braced && (end >= text.Length || text[end] != '}')))
            {
                builder.Append(text[i]);
                continue;
            }

            builder.Append(getEnv(text[start..end]) ?? "");
            i = braced ? end : end - 1;
        }

        return builder.ToString();
    }
}
