using System.Text.Json;

namespace Godex.Simulator.Tests;

public sealed class SimulatorScriptTests
{
    private static readonly JsonElement s_weatherSchema = JsonDocument.Parse("""
        {"type":"object","properties":{"location":{"type":"string"},"units":{"type":"string","enum":["celsius","fahrenheit"]},
         "days":{"type":"integer"},"detailed":{"type":["boolean","null"]},"tags":{"type":"array","items":{"type":"string"}},"note":{"type":"string"}},
         "required":["location","units","days","detailed","tags"]}
        """).RootElement;

    private static SimulatorRequest Request(string prompt, params SimulatorTool[] tools) =>
        new() { Model = "m1", Prompt = prompt, Tools = tools, BodyLength = 400 };

    [Fact]
    public void Plan_PlainPrompt_EchoesPromptInWordDeltas()
    {
        SimulatorPlan plan = SimulatorScript.Plan(Request("hi there"), "hi there", SimulatorFault.None);

        Assert.Equal("Hello from the godex simulator (model m1). You said: hi there", plan.Text);
        Assert.Equal("Hello", plan.TextDeltas[0]);
        Assert.Equal(" from", plan.TextDeltas[1]);
        Assert.Equal(SimulatorStop.EndTurn, plan.Stop);
        Assert.Null(plan.ToolCall);
        Assert.Equal(100, plan.InputTokens);
        Assert.Equal(plan.TextDeltas.Count, plan.OutputTokens);
    }

    [Fact]
    public void Plan_WeatherPromptWithTool_CallsToolWithArgumentsFromSchema()
    {
        var tool = new SimulatorTool("get_weather", IsCustom: false, s_weatherSchema);
        SimulatorPlan plan = SimulatorScript.Plan(Request("What's the weather like?", tool), "What's the weather like?", SimulatorFault.None);

        Assert.Equal(SimulatorStop.ToolUse, plan.Stop);
        Assert.NotNull(plan.ToolCall);
        Assert.Equal("get_weather", plan.ToolCall.Name);
        Assert.Equal("""{"location":"Paris","units":"celsius","days":1,"detailed":true,"tags":["example"]}""", plan.ToolCall.Input);
        Assert.Equal(plan.ToolCall.Input, string.Concat(plan.ToolCall.InputDeltas));
        Assert.True(plan.ToolCall.InputDeltas.Count > 3);
    }

    [Fact]
    public void Plan_PromptNamesSecondTool_CallsThatToolWithBacktickedCommand()
    {
        JsonElement schema = JsonDocument.Parse("""{"type":"object","properties":{"cmd":{"type":"string"}},"required":["cmd"]}""").RootElement;
        SimulatorTool[] tools = [new("read_file", false, null), new("exec_command", false, schema)];
        const string Prompt = "please exec_command `ls -la` now";

        SimulatorPlan plan = SimulatorScript.Plan(Request(Prompt, tools), Prompt, SimulatorFault.None);

        Assert.Equal("exec_command", plan.ToolCall?.Name);
        Assert.Equal("""{"cmd":"ls -la"}""", plan.ToolCall?.Input);
    }

    [Fact]
    public void Plan_ToolsOfferedButNotAsked_AnswersWithText()
    {
        SimulatorPlan plan = SimulatorScript.Plan(Request("hello", new SimulatorTool("get_weather", false, s_weatherSchema)), "hello", SimulatorFault.None);

        Assert.Null(plan.ToolCall);
        Assert.Equal(SimulatorStop.EndTurn, plan.Stop);
    }

    [Fact]
    public void Plan_CustomApplyPatch_ProducesValidPatch()
    {
        SimulatorPlan plan = SimulatorScript.Plan(Request("use apply_patch", new SimulatorTool("apply_patch", true, null)), "use apply_patch", SimulatorFault.None);

        Assert.True(plan.ToolCall?.IsCustom);
        Assert.Equal("*** Begin Patch\n*** Add File: hello.txt\n+hello from godex simulator\n*** End Patch\n", plan.ToolCall?.Input);
    }

    [Fact]
    public void Plan_ApplyPatchAsWrappedFunction_PutsPatchInTheInputProperty()
    {
        // godex declares a freeform tool on the Anthropic wire as a function with one string property "input".
        JsonElement schema = JsonDocument.Parse("""{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}""").RootElement;
        SimulatorPlan plan = SimulatorScript.Plan(Request("use apply_patch", new SimulatorTool("apply_patch", false, schema)), "use apply_patch", SimulatorFault.None);

        Assert.False(plan.ToolCall?.IsCustom);
        using JsonDocument arguments = JsonDocument.Parse(plan.ToolCall!.Input);
        Assert.Equal(SimulatorScript.ApplyPatchInput, arguments.RootElement.GetProperty("input").GetString());
    }

    [Fact]
    public void Plan_LastInputIsToolResult_ReportsResult()
    {
        SimulatorRequest request = Request("call the tool", new SimulatorTool("get_weather", false, s_weatherSchema)) with
        {
            ToolResult = new SimulatorToolResult("get_weather", "sunny"),
        };

        SimulatorPlan plan = SimulatorScript.Plan(request, "call the tool", SimulatorFault.None);

        Assert.Equal("Tool get_weather returned: sunny", plan.Text);
        Assert.Null(plan.ToolCall);
        Assert.Equal(SimulatorStop.EndTurn, plan.Stop);
    }

    [Fact]
    public void Plan_MaxTokensBelowOutput_TruncatesAndStopsForMaxTokens()
    {
        SimulatorPlan plan = SimulatorScript.Plan(Request("one two three four five six") with { MaxTokens = 3, Reasoning = true }, "one two three four five six", SimulatorFault.None);

        Assert.Equal(3, plan.OutputTokens);
        Assert.Equal(SimulatorStop.MaxTokens, plan.Stop);
    }

    [Fact]
    public void Plan_ReasoningRequested_CountsReasoningTokens()
    {
        SimulatorPlan plan = SimulatorScript.Plan(Request("hi") with { Reasoning = true }, "hi", SimulatorFault.None);

        Assert.NotEmpty(plan.ReasoningDeltas);
        Assert.Equal(plan.ReasoningDeltas.Count, plan.ReasoningTokens);
        Assert.Equal(plan.ReasoningDeltas.Count + plan.TextDeltas.Count, plan.OutputTokens);
    }

    [Fact]
    public void FaultParse_Directives_AreReadAndStripped()
    {
        SimulatorFault fault = SimulatorFault.Parse("hello [sim:slow=25] world [sim:cut][sim:fail-once=503][sim:refusal][sim:length][sim:bogus]", out string cleaned);

        Assert.Equal("hello  world", cleaned);
        Assert.Equal(25, fault.SlowMilliseconds);
        Assert.True(fault.Cut);
        Assert.True(fault.Refusal);
        Assert.True(fault.Length);
        Assert.Equal(503, fault.FailOnceStatus);
        Assert.Null(fault.Status);
        Assert.Equal(429, SimulatorFault.Parse("[sim:429]", out _).Status);
        Assert.True(SimulatorFault.Parse("no directives", out _).IsNone);
    }
}
