namespace OneThing.Grains.Validation;

/// <summary>Hides the middle of a personal number so a log line can say which one without revealing it.</summary>
internal static class Masking
{
    public static string KeepEnds(string value, int keepStart, int keepEnd)
    {
        ArgumentNullException.ThrowIfNull(value);

        // Too short to hide anything in the middle: hide it all rather than print it in clear.
        if (value.Length <= keepStart + keepEnd)
        {
            return new string('*', value.Length);
        }

        return string.Concat(value.AsSpan(0, keepStart), new string('*', value.Length - keepStart - keepEnd), value.AsSpan(value.Length - keepEnd));
    }
}
