using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Godex.Simulator;

internal static class SimulatorEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Mounts the simulated upstreams: the Codex backend (<c>/backend-api/codex/responses</c>), Anthropic
    /// (<c>/v1/messages</c>, <c>/v1/messages/count_tokens</c>, <c>/v1/models</c>), an OpenAI-compatible chat provider
    /// (<c>/openai/v1/chat/completions</c>, <c>/openai/v1/models</c>) and an OAuth token endpoint (<c>/oauth/token</c>).
    /// </summary>
    public static IEndpointRouteBuilder MapSimulator(this IEndpointRouteBuilder endpoints, SimulatorState state)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(state);
        endpoints.MapPost(CodexSimulatorEndpoint.Path, context => CodexSimulatorEndpoint.HandleAsync(context, state));
        endpoints.MapPost(AnthropicSimulatorEndpoint.MessagesPath, context => AnthropicSimulatorEndpoint.HandleMessagesAsync(context, state));
        endpoints.MapPost(AnthropicSimulatorEndpoint.CountTokensPath, context => AnthropicSimulatorEndpoint.HandleCountTokensAsync(context, state));
        endpoints.MapGet(AnthropicSimulatorEndpoint.ModelsPath, context => AnthropicSimulatorEndpoint.HandleModelsAsync(context, state));
        endpoints.MapPost(OpenAIChatSimulatorEndpoint.CompletionsPath, context => OpenAIChatSimulatorEndpoint.HandleCompletionsAsync(context, state));
        endpoints.MapGet(OpenAIChatSimulatorEndpoint.ModelsPath, context => OpenAIChatSimulatorEndpoint.HandleModelsAsync(context, state));
        endpoints.MapPost(OAuthSimulatorEndpoint.Path, context => OAuthSimulatorEndpoint.HandleAsync(context, state));
        return endpoints;
    }
}
