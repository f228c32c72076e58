using System.Net;
using System.Text;
using System.Text.Json;

namespace Godex.Server.Tests.EndToEnd;

/// <summary>
/// The structured-output and reasoning table of docs/proxy.md, one row per front door × backend: the request direction
/// is checked on the body godex sent upstream (recorded by the simulator), the answer direction on what the client got.
/// </summary>
public sealed class FidelityMatrixTests
{
    private const string Codex = "gpt-5.2-codex";
    private const string Claude = "claude-sonnet-4-5";
    private const string CodexPath = "/backend-api/codex/responses";
    private const string MessagesPath = "/v1/messages";

    private const string Schema = """{"type":"object","additionalProperties":false,"properties":{"city":{"type":"string"},"degrees":{"type":"integer"}},"required":["city","degrees"]}""";

    public static TheoryData<string, string> Cells => new()
    {
        { "chat", Codex },
        { "chat", Claude },
        { "responses", Codex },
        { "responses-stateless", Codex },
        { "responses", Claude },
        { "messages", Codex },
        { "messages-output_format", Codex },
        { "messages", Claude },
    };

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task StructuredOutput_ReachesTheUpstream_AndTheJsonComesBack(string door, string model)
    {
        await using RecordingSimulator sim = await RecordingSimulator.StartAsync();
        string m = "\"model\":\"" + model + "\"";
        string body = door switch
        {
            "chat" => "{" + m + ""","messages":[{"role":"user","content":"Paris weather"}],"response_format":{"type":"json_schema","json_schema":{"name":"weather","strict":true,"schema":""" + Schema + "}}}",
            "responses" => "{" + m + ""","input":"Paris weather","text":{"format":{"type":"json_schema","name":"weather","strict":true,"schema":""" + Schema + "}}}",
            "responses-stateless" => "{" + m + ""","store":false,"input":"Paris weather","text":{"format":{"type":"json_schema","name":"weather","strict":true,"schema":""" + Schema + "}}}",
            "messages" => "{" + m + ""","max_tokens":1024,"messages":[{"role":"user","content":"Paris weather"}],"output_config":{"format":{"type":"json_schema","schema":""" + Schema + "}}}",
            _ => "{" + m + ""","max_tokens":1024,"messages":[{"role":"user","content":"Paris weather"}],"output_format":{"type":"json_schema","schema":""" + Schema + "}}",
        };

        JsonElement answer = await PostAsync(sim, door, body);

        // Request direction: the schema reaches the upstream in its own dialect.
        if (model == Codex)
        {
            JsonElement format = Assert.Single(sim.UpstreamBodies(CodexPath)).GetProperty("text").GetProperty("format");
            Assert.Equal("json_schema", format.GetProperty("type").GetString());
            Assert.True(format.GetProperty("strict").GetBoolean());
            Assert.False(string.IsNullOrEmpty(format.GetProperty("name").GetString()));
            Assert.Equal(Compact(Schema), Compact(format.GetProperty("schema").GetRawText()));
        }
        else
        {
            JsonElement format = Assert.Single(sim.UpstreamBodies(MessagesPath)).GetProperty("output_config").GetProperty("format");
            Assert.Equal("json_schema", format.GetProperty("type").GetString());
            Assert.Equal(Compact(Schema), Compact(format.GetProperty("schema").GetRawText()));
        }

        // Answer direction: the JSON the upstream produced is the client's answer text.
        using JsonDocument json = JsonDocument.Parse(AnswerText(door, answer));
        Assert.Equal("Paris", json.RootElement.GetProperty("city").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("degrees").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Reasoning_ReachesTheUpstream_AndComesBackRoundTrippable(string door, string model)
    {
        await using RecordingSimulator sim = await RecordingSimulator.StartAsync();
        string body = door switch
        {
            "chat" => $$"""{"model":"{{model}}","reasoning_effort":"low","messages":[{"role":"user","content":"hello"}]}""",
            "responses" => $$"""{"model":"{{model}}","reasoning":{"effort":"low","summary":"auto"},"input":"hello"}""",
            "responses-stateless" => $$"""{"model":"{{model}}","store":false,"include":["reasoning.encrypted_content"],"reasoning":{"effort":"low","summary":"auto"},"input":"hello"}""",
            "messages" => $$"""{"model":"{{model}}","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"hello"}]}""",
            _ => $$"""{"model":"{{model}}","max_tokens":4096,"thinking":{"type":"adaptive"},"output_config":{"effort":"low"},"messages":[{"role":"user","content":"hello"}]}""",
        };

        JsonElement answer = await PostAsync(sim, door, body);

        // Request direction: effort or budget in the upstream's own terms.
        if (model == Codex)
        {
            JsonElement reasoning = Assert.Single(sim.UpstreamBodies(CodexPath)).GetProperty("reasoning");
            Assert.Equal("low", reasoning.GetProperty("effort").GetString());
        }
        else
        {
            JsonElement thinking = Assert.Single(sim.UpstreamBodies(MessagesPath)).GetProperty("thinking");
            Assert.Equal("enabled", thinking.GetProperty("type").GetString());
            Assert.Equal(door == "messages" ? 2048 : 1024, thinking.GetProperty("budget_tokens").GetInt32());
        }

        // Answer direction: visible reasoning plus what lets the next turn give it back to the same upstream.
        (string text, string opaque) = Reasoning(door, answer);
        Assert.False(string.IsNullOrEmpty(text));
        string expectedPrefix = (door, model) switch
        {
            ("chat" or "messages" or "messages-output_format", Codex) => "godex1:",
            ("responses", Claude) => "godex.r1.",
            _ => "",
        };
        Assert.StartsWith(expectedPrefix, opaque, StringComparison.Ordinal);
        Assert.True(opaque.Length > expectedPrefix.Length, opaque);
    }

    [Theory]
    [InlineData(Codex)]
    [InlineData(Claude)]
    public async Task ToolNameOver64_ShortenedUpstream_RestoredInTheAnswer_AndInTheNextTurn(string model)
    {
        const string name = "mcp__plugin_everything-claude-code_github__create_pull_request_review";
        await using RecordingSimulator sim = await RecordingSimulator.StartAsync();
        string tools = """[{"type":"function","function":{"name":"NAME","parameters":{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}}}]""".Replace("NAME", name, StringComparison.Ordinal);
        string ask = """{"role":"user","content":"Review it: use the tool"}""";

        JsonElement first = await PostAsync(sim, "chat", "{\"model\":\"" + model + "\",\"tools\":" + tools + ",\"messages\":[" + ask + "]}");

        JsonElement call = first.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0];
        Assert.Equal(name, call.GetProperty("function").GetProperty("name").GetString());
        string path = model == Codex ? CodexPath : MessagesPath;
        string sentName = sim.UpstreamBodies(path)[0].GetProperty("tools")[0].GetProperty("name").GetString()!;
        Assert.Equal(64, sentName.Length);

        string history = "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + call.GetRawText() + "]},{\"role\":\"tool\",\"tool_call_id\":\"" + call.GetProperty("id").GetString() + "\",\"content\":\"done\"}";
        JsonElement second = await PostAsync(sim, "chat", "{\"model\":\"" + model + "\",\"tools\":" + tools + ",\"messages\":[" + ask + "," + history + "]}");

        Assert.Contains("returned: done", second.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Contains(sentName, Encoding.UTF8.GetString(sim.Simulator.State.Bodies[^1].Body), StringComparison.Ordinal);
        Assert.DoesNotContain(name, Encoding.UTF8.GetString(sim.Simulator.State.Bodies[^1].Body), StringComparison.Ordinal);
    }

    private static string Path(string door) => door switch
    {
        "chat" => "/v1/chat/completions",
        "responses" or "responses-stateless" => "/v1/responses",
        _ => "/v1/messages",
    };

    private static async Task<JsonElement> PostAsync(RecordingSimulator sim, string door, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await sim.Godex.Http.PostAsync(Path(door), content, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string AnswerText(string door, JsonElement answer) => door switch
    {
        "chat" => answer.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!,
        "responses" or "responses-stateless" => answer.GetProperty("output").EnumerateArray()
            .Single(i => i.GetProperty("type").GetString() == "message").GetProperty("content")[0].GetProperty("text").GetString()!,
        _ => answer.GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "text").GetProperty("text").GetString()!,
    };

    private static (string Text, string Opaque) Reasoning(string door, JsonElement answer)
    {
        switch (door)
        {
            case "chat":
            {
                JsonElement message = answer.GetProperty("choices")[0].GetProperty("message");
                return (message.GetProperty("reasoning_content").GetString()!, message.GetProperty("thinking_blocks")[0].GetProperty("signature").GetString()!);
            }

            case "responses" or "responses-stateless":
            {
                JsonElement item = answer.GetProperty("output").EnumerateArray().First(i => i.GetProperty("type").GetString() == "reasoning");
                return (item.GetProperty("summary")[0].GetProperty("text").GetString()!, item.GetProperty("encrypted_content").GetString()!);
            }

            default:
            {
                JsonElement block = answer.GetProperty("content")[0];
                Assert.Equal("thinking", block.GetProperty("type").GetString());
                return (block.GetProperty("thinking").GetString()!, block.GetProperty("signature").GetString()!);
            }
        }
    }

    /// <summary>The JSON with object keys sorted: equal schemas compare equal whatever order their keys come in.</summary>
    private static string Compact(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            WriteSorted(writer, document.RootElement);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteSorted(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (JsonProperty property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteSorted(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (JsonElement item in element.EnumerateArray())
                {
                    WriteSorted(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
