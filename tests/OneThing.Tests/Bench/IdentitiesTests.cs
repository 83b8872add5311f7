using System.Text;
using OneThing.Grains.Validation;
using OneThing.Bench.Lifecycle;

namespace OneThing.Tests.Bench;

/// <summary>
/// The load generator computes its identity numbers from the standards on its own, so that a validator bug shows
/// up as refused submissions; here the two independent implementations must agree, and numbers must not repeat.
/// </summary>
public sealed class IdentitiesTests
{
    [Fact]
    public void GeneratedResidentIdNumbersPassTheApisCheckAndAreDistinct()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var buffer = new byte[Identities.Length];
        foreach (var seed in Seeds())
        {
            Identities.WriteIdNumber(buffer, seed);
            var number = Encoding.ASCII.GetString(buffer);

            Assert.True(ResidentIdNumber.IsValid(number), $"seed {seed} gave an identity number the API refuses: {ResidentIdNumber.Explain(number)}");
            Assert.True(seen.Add(number), $"seed {seed} repeated an identity number");
        }
    }

    [Fact]
    public void GeneratedCreditCodesPassTheApisCheckAndAreDistinct()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var buffer = new byte[Identities.Length];
        foreach (var seed in Seeds())
        {
            Identities.WriteCreditCode(buffer, seed);
            var code = Encoding.ASCII.GetString(buffer);

            Assert.True(UnifiedSocialCreditCode.IsValid(code), $"seed {seed} gave a credit code the API refuses: {UnifiedSocialCreditCode.Explain(code)}");
            Assert.True(seen.Add(code), $"seed {seed} repeated a credit code");
        }
    }

    // Consecutive seeds (as cases are numbered), and seeds far apart up to the documented 16 million.
    private static IEnumerable<long> Seeds() =>
        Enumerable.Range(0, 20_000).Select(i => (long)i).Concat(Enumerable.Range(1, 2_000).Select(i => i * 7_999L)).Distinct();
}
