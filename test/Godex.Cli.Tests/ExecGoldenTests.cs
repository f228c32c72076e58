using System.Text.Json;

namespace Godex.Cli.Tests;

public sealed class ExecGoldenTests
{
    private const string WeatherSchema = """{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""";

    [Theory]
    [InlineData("echo")]
    [InlineData("text")]
    [InlineData("tool-call")]
    [InlineData("tool-loop")]
    public async Task Mock_JsonEqualsGolden(string mode)
    {
        (int exitCode, string output, string error) = await CliRunner.RunAsync(
            "exec", "--mock", "--mock-mode", mode, "--prompt", "hi", "--session-id", "golden-session", "--json");

        Assert.True(exitCode == 0, error);
        ExecTestHost.AssertGolden($"mock-{mode}.jsonl", output);
    }

    [Fact]
    public async Task Mock_NeedsNoLogin_AndTextModePrintsOnlyTheText()
    {
        string home = Path.Combine(Path.GetTempPath(), "godex-nologin-" + Guid.NewGuid().ToString("N"));
        string config = home + ".yaml";
        await File.WriteAllTextAsync(config, $"auth:\n  path: {home}/missing/auth.json\n", TestContext.Current.CancellationToken);
        try
        {
            (int exitCode, string output, string error) = await CliRunner.RunAsync("exec", "--config", config, "--mock", "--mock-mode", "text", "--prompt", "hi");

            Assert.Equal(0, exitCode);
            Assert.Equal("mock response text", output);
            Assert.Equal("", error);
        }
        finally
        {
            File.Delete(config);
        }
    }

    /// <summary>A bool setting from the config file holds when its flag is absent (the flag's implicit false must not win).</summary>
    [Fact]
    public async Task MockFromTheConfigFile_NeedsNoFlag()
    {
        string home = Path.Combine(Path.GetTempPath(), "godex-nologin-" + Guid.NewGuid().ToString("N"));
        string config = home + ".yaml";
        await File.WriteAllTextAsync(config, $"auth:\n  path: {home}/missing/auth.json\nproxy:\n  simulator: \"off\"\nexec:\n  mock: true\n  mock_mode: text\n", TestContext.Current.CancellationToken);
        try
        {
            (int exitCode, string output, string error) = await CliRunner.RunAsync("exec", "--config", config, "--prompt", "hi");

            Assert.True(exitCode == 0, error);
            Assert.Equal("mock response text", output);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task MockEcho_EchoesTheProtocolRequest()
    {
        (int exitCode, string output, _) = await CliRunner.RunAsync(
            "exec", "--mock", "--prompt", "hi", "--session-id", "s1", "--model", "sonnet", "--system", "Be brief.",
            "--append-system-prompt", "Use French.", "--tool", "web_search", "--tool", "w:inline=" + WeatherSchema, "--tool-choice", "function:w");

        Assert.Equal(0, exitCode);
        using JsonDocument echo = JsonDocument.Parse(output);
        JsonElement root = echo.RootElement;
        Assert.Equal("claude-sonnet-4-5", root.GetProperty("model").GetString());
        Assert.Equal("Be brief.\n\nUse French.", root.GetProperty("instructions").GetString());
        Assert.Equal("function:w", root.GetProperty("tool_choice").GetString());
        Assert.Equal("s1", root.GetProperty("prompt_cache_key").GetString());
        Assert.Equal(2, root.GetProperty("tools").GetArrayLength());
        Assert.False(root.GetProperty("tools")[0].GetProperty("strict").GetBoolean());
    }

    [Theory]
    [InlineData("gpt-5.2-codex", "toolloop-codex.jsonl")]
    [InlineData("sonnet", "toolloop-claude.jsonl")]
    public async Task ToolLoop_AgainstTheSimulator_EqualsGolden_WithOneFinalCompleted(string model, string golden)
    {
        await using ExecTestHost host = await ExecTestHost.StartAsync();

        (int exitCode, string output, string error) = await host.ExecAsync(
            "--model", model, "--prompt", "What is the weather? call the tool", "--tool", "weather:inline=" + WeatherSchema,
            "--auto-tools", "--tool-output", "weather=sunny, 21C", "--json");

        Assert.True(exitCode == 0, error);
        ExecTestHost.AssertGolden(golden, output);
        string[] lines = output.TrimEnd('\n').Split('\n');
        Assert.Single(lines, l => l.Contains("\"response.completed\"", StringComparison.Ordinal));
        Assert.Contains("\"response.completed\"", lines[^1], StringComparison.Ordinal);

        // The follow-up carried the whole history: the user prompt, the call and its output.
        byte[] followUp = host.Simulator.State.Bodies[^1].Body;
        string body = System.Text.Encoding.UTF8.GetString(followUp);
        Assert.Contains("What is the weather?", body, StringComparison.Ordinal);
        Assert.Contains("sunny, 21C", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task TextMode_PrintsOnlyTheText(string model)
    {
        await using ExecTestHost host = await ExecTestHost.StartAsync();

        (int exitCode, string output, string error) = await host.ExecAsync("--model", model, "--prompt", "hello there");

        Assert.True(exitCode == 0, error);
        Assert.StartsWith("Hello from the godex simulator (model ", output, StringComparison.Ordinal);
        Assert.EndsWith("You said: hello there", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task LogRequests_EqualsWhatTheSimulatorReceived(string model)
    {
        await using ExecTestHost host = await ExecTestHost.StartAsync();
        string log = host.File("requests.jsonl");

        (int exitCode, _, string error) = await host.ExecAsync(
            "--model", model, "--prompt", "call weather", "--tool", "weather:inline=" + WeatherSchema, "--auto-tools",
            "--tool-output", "weather=$args", "--session-id", "sess-1", "--log-requests", log, "--json");

        Assert.True(exitCode == 0, error);
        byte[][] sent = [.. host.Simulator.State.Bodies.Select(b => b.Body)];
        Assert.Equal(2, sent.Length);
        byte[] expected = [.. sent.SelectMany(b => b.Append((byte)'\n'))];
        Assert.Equal(expected, await File.ReadAllBytesAsync(log, TestContext.Current.CancellationToken));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
        }
    }

    [Fact]
    public async Task Codex_SendsToolChoiceWebSearchAndPromptCacheKey()
    {
        await using ExecTestHost host = await ExecTestHost.StartAsync();

        (int exitCode, _, string error) = await host.ExecAsync(
            "--prompt", "hi", "--web-search", "--tool", "weather:inline=" + WeatherSchema, "--tool-choice", "required", "--session-id", "sess-42", "--json");

        Assert.True(exitCode == 0, error);
        using JsonDocument body = JsonDocument.Parse(host.Simulator.State.Bodies[0].Body);
        JsonElement root = body.RootElement;
        Assert.Equal("required", root.GetProperty("tool_choice").GetString());
        Assert.Equal("sess-42", root.GetProperty("prompt_cache_key").GetString());
        Assert.Contains(root.GetProperty("tools").EnumerateArray(), t => t.GetProperty("type").GetString() == "web_search");
    }

    [Fact]
    public async Task Anthropic_SendsToolChoiceAndWebSearch()
    {
        await using ExecTestHost host = await ExecTestHost.StartAsync();

        (int exitCode, _, string error) = await host.ExecAsync(
            "--model", "sonnet", "--prompt", "hi", "--tool", "web_search", "--tool", "weather:inline=" + WeatherSchema, "--tool-choice", "function:weather", "--json");

        Assert.True(exitCode == 0, error);
        using JsonDocument body = JsonDocument.Parse(host.Simulator.State.Bodies[0].Body);
        JsonElement root = body.RootElement;
        Assert.Equal("tool", root.GetProperty("tool_choice").GetProperty("type").GetString());
        Assert.Equal("weather", root.GetProperty("tool_choice").GetProperty("name").GetString());
        Assert.Contains(root.GetProperty("tools").EnumerateArray(), t => t.TryGetProperty("type", out JsonElement type) && type.GetString()!.StartsWith("web_search", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("gpt-5.2-codex")]
    [InlineData("sonnet")]
    public async Task InputJson_WithFunctionCallAndOutput_ContinuesTheConversation(string model)
    {
        await using ExecTestHost host = await ExecTestHost.StartAsync();
        string input = host.File("input.json");
        await File.WriteAllTextAsync(input, """
            [
              {"type":"message","role":"system","content":"Answer tersely."},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"What is the weather in Paris?"}]},
              {"type":"function_call","call_id":"call_1","name":"weather","arguments":"{\"city\":\"Paris\"}"},
              {"type":"function_call_output","call_id":"call_1","output":"rainy, 12C"}
            ]
            """, TestContext.Current.CancellationToken);

        (int exitCode, string output, string error) = await host.ExecAsync(
            "--model", model, "--input-json", input, "--tool", "weather:inline=" + WeatherSchema);

        Assert.True(exitCode == 0, error);
        Assert.Equal("Tool weather returned: rainy, 12C", output);
        string body = System.Text.Encoding.UTF8.GetString(host.Simulator.State.Bodies[0].Body);
        Assert.Contains("Answer tersely.", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamFailure_IsAnErrorEvent_AndExitsOne()
    {
        await using ExecTestHost host = await ExecTestHost.StartAsync();

        (int exitCode, string output, _) = await host.ExecAsync("--prompt", "hi [sim:400]", "--json");

        Assert.Equal(1, exitCode);
        string last = output.TrimEnd('\n').Split('\n')[^1];
        using JsonDocument error = JsonDocument.Parse(last);
        Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task ToolLoop_StopsAtMaxSteps()
    {
        await using ExecTestHost host = await ExecTestHost.StartAsync();

        // The output names the tool again, so the simulator keeps calling it.
        (int exitCode, string output, _) = await host.ExecAsync(
            "--prompt", "call weather", "--tool", "weather:inline=" + WeatherSchema, "--auto-tools", "--tool-output", "weather=ok",
            "--max-steps", "1", "--json");

        Assert.Equal(1, exitCode);
        Assert.Contains("max steps", output.TrimEnd('\n').Split('\n')[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogResponses_AppendsExactlyTheStdoutLines()
    {
        await using ExecTestHost host = await ExecTestHost.StartAsync();
        string log = host.File("responses.jsonl");

        (int exitCode, string output, _) = await host.ExecAsync("--prompt", "hi", "--json", "--log-responses", log);

        Assert.Equal(0, exitCode);
        Assert.Equal(output.Replace("\r\n", "\n", StringComparison.Ordinal), (await File.ReadAllTextAsync(log, TestContext.Current.CancellationToken)).Replace("\r\n", "\n", StringComparison.Ordinal));
    }
}
