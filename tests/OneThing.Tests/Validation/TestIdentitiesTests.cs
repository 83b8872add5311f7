using OneThing.Grains.Validation;
using OneThing.Tests.Fixtures;

namespace OneThing.Tests.Validation;

public sealed class TestIdentitiesTests
{
    private static readonly int[] EdgeSeeds = [int.MinValue, -1, 0, 1, 24_999_999, 25_000_000, int.MaxValue];

    private static IEnumerable<int> Seeds() => Enumerable.Range(0, 2_000).Concat(EdgeSeeds);

    [Fact]
    public void IdNumbersAlwaysValidate()
    {
        Assert.All(Seeds(), seed => Assert.Null(ResidentIdNumber.Explain(TestIdentities.IdNumber(seed))));
    }

    [Fact]
    public void CreditCodesAlwaysValidate()
    {
        Assert.All(Seeds(), seed => Assert.Null(UnifiedSocialCreditCode.Explain(TestIdentities.CreditCode(seed))));
    }

    [Fact]
    public void PhoneValidates()
    {
        Assert.True(PhoneNumber.IsValid(TestIdentities.Phone));
    }

    [Fact]
    public void DistinctSeedsGiveDistinctIdentities()
    {
        var seeds = Enumerable.Range(0, 50_000).ToList();

        Assert.Equal(seeds.Count, seeds.Select(TestIdentities.IdNumber).Distinct().Count());
        Assert.Equal(seeds.Count, seeds.Select(TestIdentities.CreditCode).Distinct().Count());
    }

    [Fact]
    public void IdNumbersCoverBothKindsOfCheckCharacter()
    {
        var checks = Enumerable.Range(0, 200).Select(seed => TestIdentities.IdNumber(seed)[^1]).ToHashSet();

        Assert.Contains('X', checks);
        Assert.Contains(checks, char.IsAsciiDigit);
    }

    [Fact]
    public void SameSeedGivesSameIdentity()
    {
        Assert.Equal(TestIdentities.IdNumber(99), TestIdentities.IdNumber(99));
        Assert.Equal(TestIdentities.CreditCode(99), TestIdentities.CreditCode(99));
    }
}
