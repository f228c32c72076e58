using System.Text.RegularExpressions;

namespace Godex.Core.Tokens;

/// <summary>
/// o200k_base's pre-tokenizer: the text is cut into pieces (a word with its leading space or punctuation and a trailing
/// contraction, up to three digits, a run of punctuation, a run of whitespace) and the byte-pair merge never joins two
/// pieces. Source-generated, so Native AOT needs no regex interpreter or compiler.
/// </summary>
/// <remarks>
/// The pattern is tiktoken's <c>o200k_base</c> <c>pat_str</c> (tiktoken_ext/openai_public.py), written as
/// Microsoft.ML.Tokenizers writes it (RegexOptions.None): .NET's regex engine, not tiktoken's Rust one, decides where
/// the pieces fall, so godex counts as the library does. One known difference from tiktoken: .NET matches UTF-16
/// units, so a letter outside the BMP (𝐀, U+1D400) is two surrogates, each "not a letter" here.
/// </remarks>
internal static partial class O200kPreTokenizer
{
    private const string Pattern =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        + @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        + @"|\p{N}{1,3}"
        + @"| ?[^\s\p{L}\p{N}]+[\r\n/]*"
        + @"|\s*[\r\n]+"
        + @"|\s+(?!\S)"
        + @"|\s+";

    /// <summary>The pieces of a text, left to right; every character falls in one.</summary>
    [GeneratedRegex(Pattern, RegexOptions.None)]
    public static partial Regex Pieces();
}
