using System.Diagnostics;
using System.Security.Cryptography;
using OneThing.Grains.Common;
using OneThing.Tests.Fixtures;
using Xunit.Abstractions;

namespace OneThing.Tests.Privacy;

public sealed class PersonalDataProtectorTests(ITestOutputHelper output)
{
    private const string IdNumber = "11010519491231002X";

    private static readonly PersonalDataProtector Protector = TestPrivacyKeys.Keys.Protector;

    [Fact]
    public void ASealedValueOpensToItselfAndNamesItsKeyButNotTheValue()
    {
        var sealedValue = Protector.Protect(IdNumber);

        Assert.StartsWith($"pd1:{Protector.CurrentKeyId}:", sealedValue);
        Assert.DoesNotContain(IdNumber, sealedValue);
        Assert.Equal(IdNumber, Protector.Unprotect(sealedValue));
        Assert.True(Protector.IsCurrent(sealedValue));
    }

    [Fact]
    public void SealingTheSameValueTwiceGivesDifferentText()
    {
        Assert.NotEqual(Protector.Protect(IdNumber), Protector.Protect(IdNumber));
    }

    [Fact]
    public void AValueStoredInClearReadsAsItself()
    {
        Assert.Equal(IdNumber, Protector.Unprotect(IdNumber));
        Assert.False(Protector.IsCurrent(IdNumber));
    }

    [Fact]
    public void AnAlteredValueFailsToOpen()
    {
        var sealedValue = Protector.Protect(IdNumber);
        var body = Convert.FromBase64String(ToBase64(sealedValue[(sealedValue.LastIndexOf(':') + 1)..]));
        body[^1] ^= 1;
        var altered = sealedValue[..(sealedValue.LastIndexOf(':') + 1)] + Convert.ToBase64String(body).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        Assert.ThrowsAny<CryptographicException>(() => Protector.Unprotect(altered));
    }

    [Fact]
    public void AValueUnderAKeyNotConfiguredIsAClearErrorNamingTheKeyId()
    {
        var other = new PersonalDataProtector(RandomNumberGenerator.GetBytes(32));
        var sealedElsewhere = other.Protect(IdNumber);

        var error = Assert.Throws<PersonalDataException>(() => Protector.Unprotect(sealedElsewhere));

        Assert.Contains($"'{other.CurrentKeyId}'", error.Message);
        Assert.Contains("RetiredDataKeys", error.Message);
        Assert.DoesNotContain(IdNumber, error.Message);
    }

    [Fact]
    public void ARetiredKeyStillOpensAndReprotectingMovesTheValueToTheCurrentKey()
    {
        var oldKey = RandomNumberGenerator.GetBytes(32);
        var sealedUnderOld = new PersonalDataProtector(oldKey).Protect(IdNumber);
        var rotated = new PersonalDataProtector(RandomNumberGenerator.GetBytes(32), [oldKey]);

        Assert.Equal(IdNumber, rotated.Unprotect(sealedUnderOld));
        Assert.False(rotated.IsCurrent(sealedUnderOld));
        var resealed = rotated.Reprotect(sealedUnderOld);
        Assert.StartsWith($"pd1:{rotated.CurrentKeyId}:", resealed);
        Assert.Equal(IdNumber, rotated.Unprotect(resealed));
    }

    [Fact]
    public void RevealLeavesTextThatOnlyLooksSealedAsItIs()
    {
        Assert.Equal("pd1:not:sealed", Protector.Reveal("pd1:not:sealed"));
        Assert.Equal(IdNumber, Protector.Reveal(Protector.Protect(IdNumber)));
    }

    [Theory]
    [InlineData(null, "OneThing:Privacy:ApplicantIndexKey is not set")]
    [InlineData("not base64!", "OneThing:Privacy:ApplicantIndexKey is not base64")]
    [InlineData("AAAA", "OneThing:Privacy:ApplicantIndexKey is 3 bytes")]
    public void AMissingOrMalformedIndexKeyIsNamed(string? value, string expected)
    {
        var settings = new Dictionary<string, string?>(TestPrivacyKeys.Settings) { [PrivacyKeys.ApplicantIndexKeyName] = value };

        var error = Assert.Throws<PrivacyKeyException>(() => PrivacyKeys.Read(key => settings.GetValueOrDefault(key)));

        Assert.StartsWith(expected, error.Message);
    }

    [Fact]
    public void ADataKeyMustBeExactly32Bytes()
    {
        var settings = new Dictionary<string, string?>(TestPrivacyKeys.Settings) { [PrivacyKeys.DataKeyName] = Convert.ToBase64String(new byte[48]) };

        var error = Assert.Throws<PrivacyKeyException>(() => PrivacyKeys.Read(key => settings.GetValueOrDefault(key)));

        Assert.StartsWith("OneThing:Privacy:DataKey is 48 bytes", error.Message);
    }

    [Fact]
    public void TheApplicantIndexDependsOnItsKeyAndNotOnSpelling()
    {
        var index = TestPrivacyKeys.Keys.ApplicantIndex;

        Assert.Equal(index.KeyOf(IdNumber), index.KeyOf(" " + IdNumber.ToLowerInvariant()));
        Assert.NotEqual(index.KeyOf(IdNumber), new ApplicantIndex(RandomNumberGenerator.GetBytes(32)).KeyOf(IdNumber));
    }

    /// <summary>What sealing and opening cost per value, for the figure in the README.</summary>
    [Fact]
    public void SealingAndOpeningCostMicroseconds()
    {
        const int rounds = 20_000;
        var sealedValue = Protector.Protect(IdNumber);
        for (var i = 0; i < 1000; i++)
        {
            Protector.Unprotect(Protector.Protect(IdNumber));
        }

        var seal = Stopwatch.StartNew();
        for (var i = 0; i < rounds; i++)
        {
            Protector.Protect(IdNumber);
        }
        seal.Stop();
        var open = Stopwatch.StartNew();
        for (var i = 0; i < rounds; i++)
        {
            Protector.Unprotect(sealedValue);
        }
        open.Stop();

        var sealMicroseconds = seal.Elapsed.TotalMicroseconds / rounds;
        var openMicroseconds = open.Elapsed.TotalMicroseconds / rounds;
        output.WriteLine($"seal {sealMicroseconds:F2} µs, open {openMicroseconds:F2} µs per identity number");
        Assert.True(sealMicroseconds < 100 && openMicroseconds < 100, $"seal {sealMicroseconds:F2} µs, open {openMicroseconds:F2} µs");
    }

    private static string ToBase64(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
    }
}
