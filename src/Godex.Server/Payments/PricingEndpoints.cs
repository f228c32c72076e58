using System.Text.Json;
using Godex.Core.Configuration;
using Godex.Server.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Godex.Server.Payments;

/// <summary>
/// <c>GET /v1/pricing</c>: what L402 access costs, open to anyone (a client reads it before paying). Disabled payments
/// answer <c>{"status":"disabled"}</c> as the original godex did.
/// </summary>
internal static class PricingEndpoints
{
    public const string Path = "/v1/pricing";

    public static void MapPricing(this IEndpointRouteBuilder app, PaymentsOptions payments)
    {
        ArgumentNullException.ThrowIfNull(payments);
        app.MapGet(Path, context => payments.Enabled
            ? JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => WritePricing(w, payments))
            : JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
            {
                w.WriteStartObject();
                w.WriteString("status"u8, "disabled"u8);
                w.WriteString("message"u8, "payments not enabled"u8);
                w.WriteEndObject();
            }));
    }

    private static void WritePricing(Utf8JsonWriter w, PaymentsOptions payments)
    {
        w.WriteStartObject();
        w.WriteString("status"u8, "ok"u8);
        w.WriteString("provider"u8, "l402"u8);
        w.WriteString("unit"u8, "sat"u8);
        w.WriteNumber("invoice_sat"u8, payments.InvoiceSat);
        w.WriteNumber("invoice_expiry_seconds"u8, (long)payments.InvoiceExpiry.TotalSeconds);
        w.WriteNumber("token_ttl_seconds"u8, (long)payments.TokenLifetime.TotalSeconds);
        w.WritePropertyName("default"u8);
        WritePrice(w, null, payments.DefaultPrice);
        w.WriteStartArray("prices"u8);
        foreach ((string pattern, L402Price price) in payments.Prices)
        {
            WritePrice(w, pattern, price);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WritePrice(Utf8JsonWriter w, string? model, L402Price price)
    {
        w.WriteStartObject();
        if (model is not null)
        {
            w.WriteString("model"u8, model);
        }

        w.WriteNumber("input_sat_per_1k"u8, price.InputSatPer1k);
        w.WriteNumber("output_sat_per_1k"u8, price.OutputSatPer1k);
        w.WriteNumber("request_sat"u8, price.RequestSat);
        w.WriteEndObject();
    }
}
