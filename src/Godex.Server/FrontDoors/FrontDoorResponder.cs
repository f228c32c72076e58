using System.Runtime.CompilerServices;
using Godex.Core.Conversation;
using Godex.Core.Dialects;
using Godex.Core.Routing;
using Godex.Core.Sse;
using Godex.Server.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Godex.Server.FrontDoors;

/// <summary>
/// Answers a translated turn (<see cref="BackendTurn"/>) the same way for every front door: a refusal before the first
/// byte as an HTTP error in the door's dialect; a stream through the dialect's writer, one send per upstream read, with
/// keep-alives where the door wants them and an in-band error and a clean end when it fails after the first byte; or
/// one JSON answer.
/// </summary>
internal static class FrontDoorResponder
{
    public static async Task RespondAsync(
        HttpContext context,
        FrontDoor door,
        ILogger logger,
        ModelRoute route,
        BackendTurn turn,
        bool stream,
        Func<SseWriter, IClientStreamWriter> createStreamWriter,
        Func<IClientAnswer> createAnswer)
    {
        if (turn.First is StreamErrorEvent refused)
        {
            FrontDoorLog.UpstreamRefused(logger, door.Name, route.Backend.Name, refused.Error.Status, refused.Error.Message);
            await door.WriteErrorAsync(context, refused.Error);
            return;
        }

        if (turn.First is null)
        {
            await door.WriteErrorAsync(context, BackendTurn.EndedEarly);
            return;
        }

        if (stream)
        {
            await StreamAsync(context, door, logger, route, turn, createStreamWriter);
        }
        else
        {
            await AnswerAsync(context, door, logger, route, turn, createAnswer());
        }
    }

    private static async Task StreamAsync(
        HttpContext context, FrontDoor door, ILogger logger, ModelRoute route, BackendTurn turn, Func<SseWriter, IClientStreamWriter> createStreamWriter)
    {
        CancellationToken aborted = context.RequestAborted;
        HttpResponse response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(aborted);

        using var sse = new SseWriter(response.BodyWriter);
        IClientStreamWriter writer = createStreamWriter(sse);
        IAsyncEnumerator<StreamEvent> events = turn.Events;
        TimeProvider time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        try
        {
            await writer.StartAsync(aborted);
            if (await WriteAsync(writer, turn.First!, door, logger, route, aborted))
            {
                return;
            }

            while (await NextAsync(events, writer, sse, door.KeepAliveInterval, time, aborted))
            {
                if (await WriteAsync(writer, turn.TakeCurrent(), door, logger, route, aborted))
                {
                    return;
                }
            }

            FrontDoorLog.FailedInBand(logger, door.Name, route.Backend.Name, BackendTurn.EndedEarly.Status, BackendTurn.EndedEarly.Message);
            await writer.WriteErrorAsync(BackendTurn.EndedEarly, aborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !aborted.IsCancellationRequested && !writer.IsCompleted)
        {
            // A bug after the first byte: still end the stream the way clients understand, never hang.
            FrontDoorLog.StreamFailed(logger, door.Name, ex);
            await writer.WriteErrorAsync(new BackendError(StatusCodes.Status500InternalServerError, BackendErrorTypes.Server, "internal error while streaming the response"), aborted);
        }
    }

    private static ValueTask<bool> WriteAsync(IClientStreamWriter writer, StreamEvent streamEvent, FrontDoor door, ILogger logger, ModelRoute route, CancellationToken aborted)
    {
        if (streamEvent is StreamErrorEvent failed)
        {
            FrontDoorLog.FailedInBand(logger, door.Name, route.Backend.Name, failed.Error.Status, failed.Error.Message);
        }

        return writer.WriteAsync(streamEvent, aborted);
    }

    private static async Task AnswerAsync(HttpContext context, FrontDoor door, ILogger logger, ModelRoute route, BackendTurn turn, IClientAnswer answer)
    {
        CancellationToken aborted = context.RequestAborted;
        IAsyncEnumerator<StreamEvent> events = turn.Events;
        bool done = await answer.AddAsync(turn.First!, aborted);
        while (!done && await events.MoveNextAsync())
        {
            done = await answer.AddAsync(turn.TakeCurrent(), aborted);
        }

        BackendError? failure = answer.Failure ?? (done ? null : BackendTurn.EndedEarly);
        if (failure is not null)
        {
            FrontDoorLog.UpstreamRefused(logger, door.Name, route.Backend.Name, failure.Status, failure.Message);
            await door.WriteErrorAsync(context, failure);
            return;
        }

        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, answer.WriteJson);
    }

    /// <summary>
    /// The next upstream event. When it is not ready at once, what is buffered is sent (one send per upstream read:
    /// <see cref="SseFlushing.MoveNextFlushingAsync{T}"/>) and, where the door wants them, a keep-alive goes out every
    /// <paramref name="keepAlive"/> while the upstream stays silent.
    /// </summary>
    private static ValueTask<bool> NextAsync(
        IAsyncEnumerator<StreamEvent> events, IClientStreamWriter writer, SseWriter sse, TimeSpan? keepAlive, TimeProvider time, CancellationToken aborted) =>
        keepAlive is { } interval
            ? NextWithKeepAlivesAsync(events, writer, sse, interval, time, aborted)
            : events.MoveNextFlushingAsync(sse, aborted); // no async layer of its own: one resumption less per event

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // once per upstream read: no box per call
    private static async ValueTask<bool> NextWithKeepAlivesAsync(
        IAsyncEnumerator<StreamEvent> events, IClientStreamWriter writer, SseWriter sse, TimeSpan interval, TimeProvider time, CancellationToken aborted)
    {
        ValueTask<bool> next = events.MoveNextAsync();
        if (next.IsCompleted)
        {
            return await next;
        }

        Task<bool> pending = next.AsTask();
        try
        {
            await sse.FlushAsync(aborted);
            while (true)
            {
                using var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                Task delay = Task.Delay(interval, time, delayCancel.Token);
                if (await Task.WhenAny(pending, delay) == pending)
                {
                    await delayCancel.CancelAsync();
                    return await pending;
                }

                aborted.ThrowIfCancellationRequested();
                await writer.WriteKeepAliveAsync(aborted);
                await sse.FlushAsync(aborted);
            }
        }
        catch when (!pending.IsCompleted)
        {
            // The client is gone: let the pending move finish (the same token cancels it) before the enumerator is disposed.
            await Task.WhenAny(pending);
            throw;
        }
    }
}
