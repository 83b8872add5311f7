namespace OneThing.Grains.Validation;

/// <summary>What is wrong with a piece of text the stored case must not hold.</summary>
public enum TextProblem
{
    InvalidUtf8,
    LoneSurrogate,
    Control,
    ControlInFreeText,
}

/// <summary>
/// The one character rule for text a case stores, shared by the API's strict JSON reader and the form checks: no
/// control character (tab, CR and LF allowed in free text) and no unpaired surrogate.
/// </summary>
public static class TextRules
{
    /// <summary>The first control character (tab, CR and LF allowed in free text) or unpaired surrogate in <paramref name="text"/>.</summary>
    public static TextProblem? Explain(ReadOnlySpan<char> text, bool freeText)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < '\u0020' || c == '\u007F')
            {
                if (freeText && c is '\t' or '\r' or '\n')
                {
                    continue;
                }
                return freeText ? TextProblem.ControlInFreeText : TextProblem.Control;
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return TextProblem.LoneSurrogate;
            }
        }
        return null;
    }
}
