using System.Net;
using System.Text.Json;
using Godex.TestUtilities;

namespace Godex.Simulator.Tests;

/// <summary>Bodies recorded from the real Codex CLI and Claude Code must pass validation and get scripted answers.</summary>
public sealed class CapturedClientRequestTests
{
    private static string CapturedBody(string file)
    {
        using JsonDocument capture = JsonDocument.Parse(Fixtures.Text("captured-clients/" + file));
        return capture.RootElement.GetProperty("body").GetRawText();
    }

    private static async Task<List<SseFrame>> PostAsync(SimulatorTestClient client, string path, string body)
    {
        using HttpResponseMessage response = await client.PostAsync(path, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        (string text, bool cut) = await SimulatorTestClient.ReadAllAsync(response);
        Assert.False(cut);
        return SseFrame.Parse(text);
    }

    [Fact]
    public async Task CodexCliFirstTurn_IsAcceptedAndCompletes()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await PostAsync(client, "/backend-api/codex/responses", CapturedBody("codex-request.json"));

        Assert.Equal("response.completed", frames[^1].Event);
        Assert.Contains(frames, f => f.Event == "response.reasoning_summary_text.delta");
        JsonElement reasoning = frames[^1].Json.GetProperty("response").GetProperty("output")[0];
        Assert.True(reasoning.TryGetProperty("encrypted_content", out _));
    }

    [Theory]
    [InlineData("codex-request-turn2-function-call-output.json", "Tool exec_command returned: ")]
    [InlineData("codex-request-turn2-custom-tool-call-output.json", "Tool apply_patch returned: Exit code: 0")]
    public async Task CodexCliToolOutputTurn_ReportsToolResult(string file, string expectedStart)
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await PostAsync(client, "/backend-api/codex/responses", CapturedBody(file));

        string text = frames.Single(f => f.Event == "response.output_text.done").Json.GetProperty("text").GetString()!;
        Assert.StartsWith(expectedStart, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClaudeCodeToolResultTurn_ReportsToolResultAfterThinking()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await PostAsync(client, "/v1/messages?beta=true", CapturedBody("claude-request-turn2-tool-result.json"));

        Assert.Equal("thinking", frames[1].Json.GetProperty("content_block").GetProperty("type").GetString());
        string text = string.Concat(frames
            .Where(f => f.Event == "content_block_delta" && f.Json.GetProperty("delta").GetProperty("type").GetString() == "text_delta")
            .Select(f => f.Json.GetProperty("delta").GetProperty("text").GetString()));
        Assert.Equal("Tool Bash returned: hello-from-tool", text);
        Assert.Equal("message_stop", frames[^1].Event);
    }

    [Fact]
    public async Task ClaudeCodeFirstTurn_IsAcceptedAndCompletes()
    {
        await using SimulatorTestClient client = await SimulatorTestClient.StartAsync();

        List<SseFrame> frames = await PostAsync(client, "/v1/messages?beta=true", CapturedBody("claude-request.json"));

        Assert.Equal("message_stop", frames[^1].Event);
        Assert.DoesNotContain(frames, f => f.Data.Contains("system-reminder", StringComparison.Ordinal));
    }
}
