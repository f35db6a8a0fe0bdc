namespace ConnectReconcile.Core.Reference;

/// <summary>
/// A user's input quoted in an error message or warning: every phone number in it masked
/// (<see cref="PhoneNumbers.MaskNumbersIn"/>), then clipped. Masked first, so that a clip through a
/// number cannot leave its digits too few to read as one, and so unmasked.
/// </summary>
public static class QuotedInput
{
    /// <summary>The most characters of the masked text a message quotes.</summary>
    public const int MaxLength = 60;

    public static string Of(string text)
    {
        var masked = PhoneNumbers.MaskNumbersIn(text);
        // Not between the halves of a surrogate pair (an emoji in a name).
        var cut = masked.Length <= MaxLength ? masked.Length : char.IsHighSurrogate(masked[MaxLength - 1]) ? MaxLength - 1 : MaxLength;
        return cut == masked.Length ? masked : masked[..cut] + "…";
    }
}
