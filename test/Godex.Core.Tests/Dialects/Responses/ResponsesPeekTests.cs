using System.Text;
using Godex.Core.Dialects.Responses;

namespace Godex.Core.Tests.Dialects.Responses;

/// <summary>Which Responses bodies may skip the canonical parse and go to the Codex backend as they are.</summary>
public sealed class ResponsesPeekTests
{
    [Theory]
    [InlineData("""{"model":"gpt-5.2-codex","store":false,"stream":true,"input":"hi"}""", "gpt-5.2-codex", true)]
    [InlineData("""{"input":[{"type":"message","role":"user","content":"hi"}],"store":false}""", "default-model", false)]
    [InlineData("""{"model":"codex","store":false,"previous_response_id":null,"conversation":null}""", "codex", false)]
    [InlineData("""{"store":false,"model":"","tools":[{"type":"function","name":"f","parameters":{"type":"object"}}]}""", "default-model", false)]
    public void Stateless_GivesModelAndStream(string json, string model, bool stream)
    {
        (string Model, bool Stream)? peeked = ResponsesRequestReader.PeekStateless(Encoding.UTF8.GetBytes(json), "default-model");

        Assert.Equal((model, stream), peeked);
    }

    [Theory]
    [InlineData("""{"model":"gpt-5.2-codex","input":"hi"}""")] // stored by default: godex keeps it
    [InlineData("""{"model":"gpt-5.2-codex","store":true}""")]
    [InlineData("""{"model":"gpt-5.2-codex","store":false,"previous_response_id":"resp_1"}""")] // a chain to expand
    [InlineData("""{"model":"gpt-5.2-codex","store":false,"conversation":{"id":"conv_1"}}""")]
    [InlineData("""{"model":42,"store":false}""")] // the full parse names the field
    [InlineData("""{"model":"gpt-5.2-codex","store":false""")] // truncated
    [InlineData("""{"model":"gpt-5.2-codex","store":false} {}""")] // trailing content
    [InlineData("""["store",false]""")]
    [InlineData("not json")]
    public void NotStateless_TakesTheFullParse(string json)
    {
        Assert.Null(ResponsesRequestReader.PeekStateless(Encoding.UTF8.GetBytes(json), "default-model"));
    }
}
