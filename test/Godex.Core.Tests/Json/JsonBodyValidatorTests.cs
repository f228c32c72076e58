using System.Text;
using Godex.Core.Conversation;
using Godex.Core.Json;

namespace Godex.Core.Tests.Json;

/// <summary>What every front door refuses before parsing (issue 14, items 5, 7 and 13): each was a 500 or worse.</summary>
public sealed class JsonBodyValidatorTests
{
    private static BackendError? Validate(string json) => JsonBodyValidator.Validate(Encoding.UTF8.GetBytes(json));

    private static BackendError? Validate(byte[] json) => JsonBodyValidator.Validate(json);

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"text":"\ud83d\ude00 a valid pair"}""")]
    [InlineData("""{"text":"\\ud800 is an escaped backslash, then text"}""")]
    [InlineData("""{"n":1e308,"m":-1e-400,"big":99999999999999999999999}""")]
    [InlineData("""{"nul":"\u0000","quote":"\"","tab":"\t"}""")]
    [InlineData("  {\"a\":[1,2,{\"b\":null}]}  \n")]
    public void Valid_Passes(string json) => Assert.Null(Validate(json));

    [Theory]
    [InlineData("""{"content":"a\ud800b"}""", "\\ud800")]
    [InlineData("""{"content":"a\udc00"}""", "\\udc00")]
    [InlineData("""{"content":"\udc00\ud800"}""", "\\udc00")]
    [InlineData("""{"content":"end\ud83d"}""", "\\ud83d")]
    [InlineData("""{"content":"\ud83d\u0041"}""", "\\ud83d")]
    [InlineData("""{"content":"\ud83d\n"}""", "\\ud83d")]
    [InlineData("""{"\ud800":1}""", "\\ud800")]
    public void LoneSurrogate_Is400NamingIt(string json, string named)
    {
        BackendError error = Validate(json)!;
        Assert.Equal(400, error.Status);
        Assert.Contains("lone UTF-16 surrogate", error.Message, StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D }, 6)] // {"a":"\xFF"}
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0xAF, 0x22, 0x7D }, 6)] // overlong '/'
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D }, 6)] // an encoded surrogate
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0x61, 0xE2, 0x82 }, 7)] // truncated at the end
    [InlineData(new byte[] { 0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00 }, 0)] // UTF-16 with a BOM
    public void InvalidUtf8_Is400NamingTheOffset(byte[] json, int offset)
    {
        BackendError error = Validate(json)!;
        Assert.Equal(400, error.Status);
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
        Assert.Contains($"offset {offset}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"temperature":1e400}""", "1e400")]
    [InlineData("""{"temperature":-1e400}""", "-1e400")]
    [InlineData("""{"a":[1,2,1E+999999]}""", "1E+999999")]
    public void NumberOutOfRange_Is400(string json, string number)
    {
        BackendError error = Validate(json)!;
        Assert.Equal(400, error.Status);
        Assert.Contains($"the number {number}", error.Message, StringComparison.Ordinal);
        Assert.Contains("out of range", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"a":1} trailing""")]
    [InlineData("""{"a":1}{"a":2}""")]
    [InlineData("""{"a":1,}""")]
    [InlineData("""{"a":NaN}""")]
    [InlineData("""{"a":"unterminated""")]
    [InlineData("""{"a":"\x41"}""")]
    [InlineData("")]
    public void MalformedJson_Is400(string json)
    {
        BackendError error = Validate(json)!;
        Assert.Equal(400, error.Status);
        Assert.StartsWith("invalid JSON: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_UpToTheLimit_Passes_BeyondIt_Is400()
    {
        Assert.Null(Validate(new string('[', JsonBodyValidator.MaxDepth) + new string(']', JsonBodyValidator.MaxDepth)));

        BackendError error = Validate(new string('[', JsonBodyValidator.MaxDepth + 1) + new string(']', JsonBodyValidator.MaxDepth + 1))!;
        Assert.Equal(400, error.Status);
        Assert.Contains("depth", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelName_OverTheCap_Is400NamingTheField()
    {
        Assert.Null(Validate($$"""{"model":"{{new string('m', 256)}}"}"""));
        Assert.Null(Validate($$$"""{"metadata":{"model":"{{{new string('m', 300)}}}"}}""")); // only the top-level field routes

        BackendError error = Validate($$"""{"model":"gpt-{{new string('x', 1_000_000)}}"}""")!;
        Assert.Equal(400, error.Status);
        Assert.Equal("model", error.Param);
        Assert.Equal("model: at most 256 bytes", error.Message);

        Assert.Equal("previous_response_id", Validate($$"""{"previous_response_id":"resp_{{new string('r', 300)}}"}""")!.Param);
    }

    [Theory]
    [InlineData("""{"model":"gpt-5\r\nX-Injected: yes"}""", "model")]
    [InlineData("""{"model":"gpt-5\u0000"}""", "model")]
    [InlineData("""{"model":"gpt-5\u007f"}""", "model")]
    [InlineData("{\"model\":\"gpt-5\u007f\"}", "model")] // a raw DEL byte
    [InlineData("""{"previous_response_id":"resp_1\nX: y"}""", "previous_response_id")]
    public void Names_WithControlCharacters_Are400(string json, string field)
    {
        BackendError error = Validate(json)!;

        Assert.Equal(400, error.Status);
        Assert.Equal(field, error.Param);
        Assert.Contains("control characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_WithEscapedPrintableText_Pass() =>
        Assert.Null(Validate("""{"model":"gpt\u002d5","previous_response_id":"resp_\u00e9t\u00e9","metadata":{"k":"a\r\nb"}}"""));
}
