using System.Text.Json;
using Godex.Core.Configuration;
using Godex.Core.Conversation;
using Godex.Core.Routing;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Server.FrontDoors.Models;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>, in the OpenAI shape.</summary>
public static class ModelsEndpoints
{
    /// <summary>
    /// Maps the model endpoints. Needs <see cref="ModelRouter"/>, <see cref="GodexOptions"/>, <see cref="TimeProvider"/>
    /// and logging in DI; the list cache lives with the mapping.
    /// </summary>
    public static RouteGroupBuilder MapModels(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        IServiceProvider services = endpoints.ServiceProvider;
        var catalog = new ModelCatalog(
            services.GetRequiredService<ModelRouter>(),
            services.GetRequiredService<GodexOptions>(),
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetRequiredService<ILogger<ModelCatalog>>());

        RouteGroupBuilder group = endpoints.MapGroup("/v1/models");
        group.MapGet("", (RequestDelegate)(context => ListAsync(context, catalog)));
        group.MapGet("/{**id}", (RequestDelegate)(context => GetAsync(context, catalog)));
        return group;
    }

    private static async Task ListAsync(HttpContext context, ModelCatalog catalog)
    {
        var router = context.RequestServices.GetRequiredService<ModelRouter>();
        IReadOnlyList<ModelInfo> models = await catalog.GetModelsAsync(context.RequestAborted);
        var ids = new HashSet<string>(models.Select(m => m.Id), StringComparer.OrdinalIgnoreCase);

        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("object"u8, "list"u8);
            writer.WriteStartArray("data"u8);
            foreach (ModelInfo model in models)
            {
                WriteModel(writer, model.Id, model.Created ?? 0, model.Backend);
                writer.WriteEndObject();
            }

            foreach ((string alias, string _) in router.Aliases.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                if (ids.Contains(alias) || !router.TryResolve(alias, out ModelRoute? route))
                {
                    continue;
                }

                WriteModel(writer, alias, 0, route.Backend.Name);
                writer.WriteString("alias_for"u8, route.Model);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// What a model id can be (printable ASCII without spaces or escapes, at most 256 characters): anything else is no
    /// model, even when <c>routing.default</c> would send it somewhere (issue 14: a 10 KB or percent-encoded id was a 200).
    /// </summary>
    private static bool IsModelName(string id) =>
        id.Length is > 0 and <= 256 && id.All(c => c is > ' ' and < '\x7f' and not '%');

    private static async Task GetAsync(HttpContext context, ModelCatalog catalog)
    {
        var router = context.RequestServices.GetRequiredService<ModelRouter>();
        string id = context.Request.RouteValues["id"] as string ?? "";
        if (!IsModelName(id) || !router.TryResolve(id, out ModelRoute? route))
        {
            var options = context.RequestServices.GetRequiredService<GodexOptions>();
            await ErrorResponses.WriteOpenAIAsync(context, FrontDoorHandling.ModelNotFound(id, router, options));
            return;
        }

        // Routing decides; the list only adds the release date when it is already cached (no upstream call here).
        long created = 0;
        foreach (ModelInfo model in catalog.TryGetFresh(out IReadOnlyList<ModelInfo>? known) ? known : [])
        {
            if (string.Equals(model.Id, route.Model, StringComparison.OrdinalIgnoreCase))
            {
                created = model.Created ?? 0;
                break;
            }
        }

        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, writer =>
        {
            WriteModel(writer, route.Model, created, route.Backend.Name);
            writer.WriteString("backend"u8, route.Backend.Name);
            if (route.Alias is not null)
            {
                writer.WriteString("alias"u8, route.Alias);
            }

            writer.WriteEndObject();
        });
    }

    /// <summary>Starts a model object; the caller may add fields and ends it.</summary>
    private static void WriteModel(Utf8JsonWriter writer, string id, long created, string ownedBy)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, id);
        writer.WriteString("object"u8, "model"u8);
        writer.WriteNumber("created"u8, created);
        writer.WriteString("owned_by"u8, ownedBy);
    }
}
