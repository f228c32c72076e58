using Godex.Core.Conversation;

namespace Godex.Core.Relay;

/// <summary>How a relay ended.</summary>
/// <param name="Failure">The upstream's refusal or fault, or null when the answer went through whole.</param>
/// <param name="AfterFirstByte">True when the failure reached the client in-band, after the response had started.</param>
public readonly record struct RelayResult(BackendError? Failure, bool AfterFirstByte);
