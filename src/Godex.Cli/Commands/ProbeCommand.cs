using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Godex.Composition;
using Godex.Core.Backends;
using Godex.Core.Configuration;
using Godex.Core.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Godex.Cli.Commands;

/// <summary><c>godex probe MODEL</c>: where a model name goes, asked of a running proxy or resolved locally.</summary>
internal static class ProbeCommand
{
    private static readonly Argument<string> s_model = new("model") { Description = "Model id or alias" };
    private static readonly Option<string?> s_url = new("--url") { Description = "Ask the proxy at this URL (GET /v1/models/{id}); without it the model is resolved locally from the config", HelpName = "url" };
    private static readonly Option<string?> s_key = new("--key") { Description = "Client key for --url (default $GODEX_API_KEY)", HelpName = "key" };
    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON: the proxy's model object, or {status, model, id, backend}" };

    public static Command Create()
    {
        var command = new Command("probe", "Show which backend and model id a model name routes to") { s_model, s_url, s_key, s_json };
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        string model = parse.GetValue(s_model)!;
        bool json = parse.GetValue(s_json);
        if (parse.GetValue(s_url) is { } url)
        {
            return await ProbeRemoteAsync(url, parse.GetValue(s_key) ?? Environment.GetEnvironmentVariable("GODEX_API_KEY"), model, json, output, error, cancellationToken);
        }

        if (!AuthCommand.TryLoad(parse, out GodexOptions? options, out int exit))
        {
            return exit;
        }

        // Every backend is registered so the answer does not depend on which logins exist on this machine.
        options.Proxy.Backends.Codex.Enabled = true;
        options.Proxy.Backends.Anthropic.Enabled = true;
        using ServiceProvider services = new ServiceCollection().AddSingleton(TimeProvider.System).AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance).BuildServiceProvider();
        IReadOnlyList<IChatBackend> backends = BackendFactory.Create(options, services);
        var router = new ModelRouter(backends, options.Routing);
        if (!router.TryResolve(model, out ModelRoute? route))
        {
            await output.WriteLineAsync(json ? Json(w => { w.WriteString("status", "not_found"); w.WriteString("model", model); }) : $"ERROR: model \"{model}\" not available");
            return ExitCodes.Failure;
        }

        await output.WriteLineAsync(json
            ? Json(w =>
            {
                w.WriteString("status", "ok");
                w.WriteString("model", model);
                w.WriteString("id", route.Model);
                w.WriteString("backend", route.Backend.Name);
            })
            : $"OK: {(route.Alias is null ? "" : route.Alias + " → ")}{route.Model} ({route.Backend.Name})");
        return ExitCodes.Success;
    }

    private static async Task<int> ProbeRemoteAsync(string url, string? key, string model, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url.TrimEnd('/') + "/v1/models/" + Uri.EscapeDataString(model), UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
        {
            await error.WriteLineAsync($"error: --url '{url}': expected an http(s) URL");
            return ExitCodes.Usage;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (!string.IsNullOrEmpty(key))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"error: cannot reach {url}: {ex.Message}");
            return ExitCodes.Failure;
        }

        using (response)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                await output.WriteLineAsync(json ? Json(w => { w.WriteString("status", "not_found"); w.WriteString("model", model); }) : $"ERROR: model \"{model}\" not found");
                return ExitCodes.Failure;
            }

            if (!response.IsSuccessStatusCode)
            {
                await error.WriteLineAsync($"error: {url} answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 300)]}");
                return ExitCodes.Failure;
            }

            if (json)
            {
                await output.WriteLineAsync(body.Trim());
                return ExitCodes.Success;
            }

            try
            {
                using JsonDocument document = JsonDocument.Parse(body);
                JsonElement root = document.RootElement;
                string id = root.TryGetProperty("id", out JsonElement i) ? i.GetString() ?? model : model;
                string? backend = root.TryGetProperty("backend", out JsonElement b) ? b.GetString() : null;
                string? alias = root.TryGetProperty("alias", out JsonElement a) ? a.GetString() : null;
                await output.WriteLineAsync($"OK: {(alias is null ? "" : alias + " → ")}{id}{(backend is null ? "" : $" ({backend})")}");
                return ExitCodes.Success;
            }
            catch (JsonException)
            {
                await error.WriteLineAsync($"error: {url} answered 200 with a body that is not JSON");
                return ExitCodes.Failure;
            }
        }
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
