using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Godex.Simulator;

internal static class SimulatorEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Mounts the simulated upstreams: the Codex backend (<c>/backend-api/codex/responses</c>), Anthropic
    /// (<c>/v1/messages</c>, <c>/v1/messages/count_tokens</c>, <c>/v1/models</c>), an OpenAI-compatible chat provider
    /// (<c>/openai/v1/chat/completions</c>, <c>/openai/v1/models</c>; with its quirks under <c>/quirky/v1</c>) and the OAuth
    /// endpoints (<c>/oauth/authorize</c>, <c>/oauth/token</c>, and OpenAI's device login under
    /// <c>/api/accounts/deviceauth/</c> with its page <c>/codex/device</c>).
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
        endpoints.MapPost(OpenAIChatSimulatorEndpoint.QuirkyCompletionsPath, context => OpenAIChatSimulatorEndpoint.HandleCompletionsAsync(context, state, quirky: true));
        endpoints.MapGet(OpenAIChatSimulatorEndpoint.QuirkyModelsPath, context => OpenAIChatSimulatorEndpoint.HandleModelsAsync(context, state));
        endpoints.MapPost(OAuthSimulatorEndpoint.Path, context => OAuthSimulatorEndpoint.HandleAsync(context, state));
        endpoints.MapGet(OAuthSimulatorEndpoint.AuthorizePath, context => OAuthSimulatorEndpoint.HandleAuthorizeAsync(context, state));
        endpoints.MapPost(DeviceAuthSimulatorEndpoint.UserCodePath, context => DeviceAuthSimulatorEndpoint.HandleUserCodeAsync(context, state));
        endpoints.MapPost(DeviceAuthSimulatorEndpoint.TokenPath, context => DeviceAuthSimulatorEndpoint.HandleTokenAsync(context, state));
        endpoints.MapMethods(DeviceAuthSimulatorEndpoint.VerificationPath, ["GET", "POST"], context => DeviceAuthSimulatorEndpoint.HandleVerificationAsync(context, state));
        return endpoints;
    }
}
