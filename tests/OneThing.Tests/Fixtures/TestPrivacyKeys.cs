using OneThing.Grains.Common;

namespace OneThing.Tests.Fixtures;

/// <summary>The privacy keys every test silo and API runs with (fixed, so rows one host writes another can read).</summary>
public static class TestPrivacyKeys
{
    public static readonly string ApplicantIndexKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    public static readonly string DataKey = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    public static IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        [PrivacyKeys.ApplicantIndexKeyName] = ApplicantIndexKey,
        [PrivacyKeys.DataKeyName] = DataKey,
    };

    public static PrivacyKeys Keys { get; } = PrivacyKeys.Read(key => Settings.GetValueOrDefault(key));

    /// <summary>A fresh random key, base64, as ops would generate one.</summary>
    public static string NewKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}
