using System.CommandLine;
using System.Text;
using Godex.Core.Configuration;
using Godex.Core.Continuity;
using Godex.Core.Conversation;
using Godex.Core.Exec;
using Godex.Core.Routing;
using Microsoft.Extensions.Logging;

namespace Godex.Cli.Commands;

/// <summary>
/// <c>godex exec</c>: one model turn, or a whole tool loop, without a server. With <c>--json</c> stdout carries Wire v0
/// (docs/wire.md) and nothing else; diagnostics go to stderr. Exit 0 success, 1 failure, 2 wrong usage.
/// </summary>
internal static class ExecCommand
{
    // Backends whose translators send a hosted web search tool (Codex "web_search", Anthropic "web_search_20250305").
    private static readonly HashSet<string> s_webSearchBackends = new(StringComparer.OrdinalIgnoreCase) { "codex", "anthropic" };

    private static readonly Option<string?> s_prompt = new("--prompt", "-p") { Description = "The user prompt (required unless --input-json is given)", HelpName = "text" };
    private static readonly Option<string?> s_model = new("--model", "-m") { Description = "Model or alias, routed like the proxy does (default exec.model, gpt-5.2-codex)", HelpName = "model" };
    private static readonly Option<string?> s_instructions = new("--instructions") { Description = "System instructions (default exec.instructions, \"You are a helpful assistant.\")", HelpName = "text" };
    private static readonly Option<string?> s_system = new("--system") { Description = "Alias for --instructions (--instructions wins when both are given)", HelpName = "text" };
    private static readonly Option<string?> s_append = new("--append-system-prompt") { Description = "Appended to the instructions after a blank line", HelpName = "text" };
    private static readonly Option<bool> s_json = new("--json") { Description = "Print Wire v0 JSONL events on stdout (docs/wire.md) instead of the text" };
    private static readonly Option<bool> s_trace = new("--trace") { Description = "Text mode: also print every Wire v0 event on stderr" };
    private static readonly Option<string[]> s_tool = new("--tool") { Description = "A tool, repeatable: NAME:json=SCHEMA_FILE, NAME:inline=SCHEMA_JSON, or web_search", HelpName = "spec" };
    private static readonly Option<bool> s_webSearch = new("--web-search") { Description = "Send the backend's hosted web search tool (same as --tool web_search)" };
    private static readonly Option<string?> s_toolChoice = new("--tool-choice") { Description = "auto | required | none | function:NAME (default exec.tool_choice, auto)", HelpName = "choice" };
    private static readonly Option<string?> s_inputJson = new("--input-json") { Description = "A JSON array of Responses input items (message, function_call, function_call_output) replacing --prompt", HelpName = "file" };
    private static readonly Option<bool> s_autoTools = new("--auto-tools") { Description = "Run the tool loop: answer tool calls with --tool-output values and continue" };
    private static readonly Option<string[]> s_toolOutput = new("--tool-output") { Description = "Static tool answer for --auto-tools, repeatable: NAME=VALUE ($args echoes the arguments)", HelpName = "name=value" };
    private static readonly Option<int?> s_maxSteps = new("--max-steps") { Description = "Most model turns of a tool loop (default exec.auto_tools_max_steps, 4)", HelpName = "n" };
    private static readonly Option<string?> s_sessionId = new("--session-id") { Description = "Upstream prompt-cache key / session id (default: a random UUID)", HelpName = "id" };
    private static readonly Option<string?> s_logRequests = new("--log-requests") { Description = "Write every request body sent upstream to FILE, one JSON per line (mode 0600, overwritten)", HelpName = "file" };
    private static readonly Option<string?> s_logResponses = new("--log-responses") { Description = "Append every Wire v0 event to FILE, one per line (mode 0600)", HelpName = "file" };
    private static readonly Option<bool> s_allowRefresh = new("--allow-refresh") { Description = "Allow refreshing an expiring Codex login over the network (default exec.allow_refresh, off)" };
    private static readonly Option<string?> s_providerKey = new("--provider-key") { Description = "API key for the routed backend where it takes one (Anthropic: sent instead of the Claude login; an OpenAI-compatible backend: sent instead of its key)", HelpName = "key" };
    private static readonly Option<string?> s_timeout = new("--timeout") { Description = "Bound on the whole run, tool loop included, e.g. 90s, 5m (default exec.timeout, 90s)", HelpName = "duration" };
    private static readonly Option<bool> s_mock = new("--mock") { Description = "No network, no credentials: print the --mock-mode stream" };
    private static readonly Option<string?> s_mockMode = new("--mock-mode") { Description = "echo | text | tool-call | tool-loop (default exec.mock_mode, echo)", HelpName = "mode" };
    private static readonly Option<string?> s_simulator = new("--simulator") { Description = "auto (the built-in simulator when no login exists) | on | off (default proxy.simulator, auto)", HelpName = "mode" };

    public static Command Create()
    {
        var command = new Command("exec", "Run one model turn (or a tool loop) and print the answer, or Wire v0 JSONL with --json")
        {
            s_prompt, s_model, s_instructions, s_system, s_append, s_json, s_trace, s_tool, s_webSearch, s_toolChoice,
            s_inputJson, s_autoTools, s_toolOutput, s_maxSteps, s_sessionId, s_logRequests, s_logResponses, s_allowRefresh,
            s_providerKey, s_timeout, s_mock, s_mockMode, s_simulator,
        };
        command.SetAction(RunAsync);
        return command;
    }

    private sealed record Plan(
        GodexOptions Options,
        ExecSettings Settings,
        bool Json,
        bool Trace,
        bool Mock,
        string MockMode,
        IReadOnlyDictionary<string, string>? ToolOutputs,
        int MaxSteps,
        TimeSpan Timeout,
        string? LogRequests,
        string? LogResponses,
        string? ProviderKey);

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        Plan plan;
        try
        {
            plan = BuildPlan(parse);
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.Usage;
        }

        StreamWriter? responsesLog;
        try
        {
            responsesLog = plan.LogResponses is null ? null : OpenPrivate(plan.LogResponses, FileMode.Append);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: --log-responses {plan.LogResponses}: {ex.Message}");
            return ExitCodes.Failure;
        }

        using StreamWriter? responsesLogScope = responsesLog;
        var writer = new WireEventWriter(line =>
        {
            if (plan.Json)
            {
                output.WriteLine(line);
                output.Flush();
            }
            else if (plan.Trace)
            {
                error.WriteLine(line);
            }

            responsesLog?.WriteLine(line);
            responsesLog?.Flush();
        })
        {
            TextSink = plan.Json ? null : text =>
            {
                output.Write(text);
                output.Flush();
            },
            ErrorSink = plan.Json ? null : message => error.WriteLine("error: " + message),
        };

        if (plan.Mock)
        {
            // Mock mode reads no login at all (the original required auth.json even here).
            var aliases = new ModelRouter([], plan.Options.Routing);
            ChatRequest mockRequest = ExecRequest.Build(plan.Settings with { Model = aliases.ExpandAlias(plan.Settings.Model) });
            byte[] protocol = ExecRequest.WriteProtocolRequest(mockRequest);
            WriteRequestLog(plan.LogRequests, [protocol]);
            MockScript.Write(plan.MockMode, protocol, writer);
            return ExitCodes.Success;
        }

        return await RunRealAsync(plan, writer, error, cancellationToken);
    }

    private static async Task<int> RunRealAsync(Plan plan, WireEventWriter writer, TextWriter error, CancellationToken cancellationToken)
    {
        GodexOptions options = plan.Options;
        options.Proxy.Backends.Codex.AllowRefresh = options.Exec.AllowRefresh;
        if (plan.ProviderKey is not null)
        {
            options.Proxy.Backends.Anthropic.ApiKey = plan.ProviderKey;
        }

        await using ExecBackends backends = await ExecBackends.CreateAsync(options, error, plan.Trace ? LogLevel.Debug : LogLevel.Warning, cancellationToken);
        try
        {
            if (!backends.Router.TryResolve(plan.Settings.Model, out ModelRoute? route))
            {
                writer.WriteError($"no backend serves model \"{plan.Settings.Model}\" (enabled: {string.Join(", ", backends.Router.Backends.Select(b => b.Name))})", "model_not_found");
                return ExitCodes.Failure;
            }

            if (plan.Settings.HostedTools.Count > 0 && !s_webSearchBackends.Contains(route.Backend.Name))
            {
                writer.WriteError($"the {route.Backend.Name} backend has no hosted web search tool (model \"{route.Model}\")", "web_search_unsupported");
                return ExitCodes.Failure;
            }

            // An OpenAI-compatible backend sends the key as its bearer, as the proxy does with X-Provider-Key.
            bool custom = options.Proxy.Backends.Custom.Exists(c => string.Equals(c.Name, route.Backend.Name, StringComparison.OrdinalIgnoreCase));
            if (plan.ProviderKey is not null && !custom && !string.Equals(route.Backend.Name, "anthropic", StringComparison.OrdinalIgnoreCase))
            {
                await error.WriteLineAsync($"warning: --provider-key ignored: the {route.Backend.Name} backend authenticates with its login");
            }

            ChatRequest request = ExecRequest.Build(plan.Settings with { Model = route.Model });
            if (custom && plan.ProviderKey is { } providerKey)
            {
                if (providerKey.Length > 1024 || providerKey.Any(c => c is < '!' or > '~'))
                {
                    writer.WriteError("--provider-key has characters an HTTP header cannot carry", "invalid_provider_key");
                    return ExitCodes.Usage;
                }

                request = request with { ProviderKey = new ProviderKey(providerKey) };
            }
            var runner = new ExecRunner((request, ct) => UpstreamCall.StreamAsync(route.Backend, request, "exec", cache: null, ct), writer) { ToolOutputs = plan.ToolOutputs, MaxSteps = plan.MaxSteps };

            using var timeout = new CancellationTokenSource(plan.Timeout, TimeProvider.System);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            bool ok;
            try
            {
                ok = await runner.RunAsync(request, linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                writer.WriteError($"timed out after {plan.Timeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}s (--timeout)", "timeout");
                ok = false;
            }

            return ok ? ExitCodes.Success : ExitCodes.Failure;
        }
        finally
        {
            WriteRequestLog(plan.LogRequests, backends.Recorder.Bodies);
        }
    }

    private static Plan BuildPlan(ParseResult parse)
    {
        GodexOptions options = GlobalOptions.LoadConfig(parse);
        ExecOptions exec = options.Exec;
        if (parse.GetValue(s_simulator) is { } simulator)
        {
            options.Proxy.Simulator = ConfigValues.ParseChoice(simulator, "--simulator", "auto", "on", "off");
        }

        exec.AllowRefresh = GlobalOptions.Switch(parse, s_allowRefresh, exec.AllowRefresh);

        string? inputPath = parse.GetValue(s_inputJson);
        string? prompt = parse.GetValue(s_prompt);
        IReadOnlyList<ChatMessage>? input = null;
        if (inputPath is not null)
        {
            input = ExecInput.Parse(ReadFile(inputPath, "--input-json"), inputPath);
        }
        else if (string.IsNullOrEmpty(prompt))
        {
            throw new ConfigException("--prompt is required unless --input-json is provided");
        }

        var tools = new List<ChatTool>();
        var hosted = new List<HostedTool>();
        foreach (string spec in parse.GetValue(s_tool) ?? [])
        {
            (ChatTool? function, HostedTool? host) = ExecTools.ParseSpec(spec, path => File.ReadAllText(path));
            if (function is not null)
            {
                if (tools.Any(t => t.Name == function.Name))
                {
                    throw new ConfigException($"--tool {function.Name}: given twice");
                }

                tools.Add(function);
            }
            else if (host is not null && hosted.Count == 0)
            {
                hosted.Add(host);
            }
        }

        bool webSearch = GlobalOptions.Switch(parse, s_webSearch, exec.WebSearch);
        if (webSearch && hosted.Count == 0)
        {
            hosted.Add(new HostedTool(ExecTools.WebSearch));
        }

        ToolChoice choice = ExecTools.ParseChoice(parse.GetValue(s_toolChoice) ?? exec.ToolChoice, tools);
        bool autoTools = GlobalOptions.Switch(parse, s_autoTools, exec.AutoTools);
        IReadOnlyDictionary<string, string> outputs = ExecTools.ParseOutputs(parse.GetValue(s_toolOutput) ?? []);
        if (autoTools && outputs.Count == 0)
        {
            throw new ConfigException("--auto-tools needs at least one --tool-output NAME=VALUE");
        }

        int maxSteps = parse.GetValue(s_maxSteps) ?? exec.AutoToolsMaxSteps;
        if (maxSteps < 1)
        {
            throw new ConfigException($"--max-steps {maxSteps}: must be at least 1");
        }

        string? instructions = parse.GetValue(s_instructions);
        if (string.IsNullOrWhiteSpace(instructions))
        {
            instructions = parse.GetValue(s_system);
        }

        bool mock = GlobalOptions.Switch(parse, s_mock, exec.Mock);
        string mockMode = parse.GetValue(s_mockMode) is { } mode ? ConfigValues.ParseChoice(mode, "--mock-mode", [.. MockScript.Modes]) : exec.MockMode;
        TimeSpan timeout = parse.GetValue(s_timeout) is { } t ? ConfigValues.ParseDuration(t, "--timeout") : exec.Timeout;
        if (timeout <= TimeSpan.Zero)
        {
            throw new ConfigException("--timeout must be positive");
        }

        var settings = new ExecSettings
        {
            Model = parse.GetValue(s_model) ?? exec.Model,
            Instructions = string.IsNullOrWhiteSpace(instructions) ? exec.Instructions : instructions,
            AppendSystemPrompt = parse.GetValue(s_append) ?? exec.AppendSystemPrompt,
            Prompt = prompt,
            Input = input,
            Tools = tools,
            HostedTools = hosted,
            ToolChoice = choice,
            SessionId = parse.GetValue(s_sessionId) ?? Guid.NewGuid().ToString(),
        };

        return new Plan(
            options, settings, parse.GetValue(s_json), parse.GetValue(s_trace), mock, mockMode, autoTools ? outputs : null, maxSteps, timeout,
            parse.GetValue(s_logRequests), parse.GetValue(s_logResponses), parse.GetValue(s_providerKey));
    }

    private static string ReadFile(string path, string flag)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigException($"{flag} {path}: cannot read: {ex.Message}", ex);
        }
    }

    /// <summary>One request body per line: the providers write compact JSON, so each line is one exact body.</summary>
    private static void WriteRequestLog(string? path, IReadOnlyList<byte[]> bodies)
    {
        if (path is null)
        {
            return;
        }

        using StreamWriter log = OpenPrivate(path, FileMode.Create);
        foreach (byte[] body in bodies)
        {
            log.BaseStream.Write(body);
            log.BaseStream.WriteByte((byte)'\n');
        }
    }

    private static StreamWriter OpenPrivate(string path, FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new StreamWriter(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options);
    }
}
