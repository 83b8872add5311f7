using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using OneThing.Api.Common;
using OneThing.Contracts.Cases;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;

namespace OneThing.Api.Cases;

public static class CaseProgressEndpoint
{
    /// <summary>Compared against when there is no case, so a missing case costs what a wrong pair does.</summary>
    private static readonly byte[] Decoy = Encoding.ASCII.GetBytes("??????");

    /// <summary>
    /// The public progress of a case, for the applicant who knows its id and the last 6 characters of their identity
    /// number (an enterprise: of its credit code). A missing case and a wrong pair answer the same 404.
    /// </summary>
    public static async Task<Results<Ok<CaseProgress>, ValidationProblem, ProblemHttpResult>> GetAsync(
        string caseId, HttpRequest request, IClusterClient cluster, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, RequestJson.Default.ProgressRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var given = body!.IdNumberLast6.Trim().ToUpperInvariant();
        if (given.Length != 6 || !given.All(char.IsAsciiLetterOrDigit))
        {
            return JsonBody.Problem("idNumberLast6", "Required: the last 6 characters (digits or letters) of the identity number or credit code.");
        }
        // The case holds the identity number sealed; its view opens it in the silo, and it is compared here without
        // ever being written anywhere.
        var view = await cluster.Reference<ICaseGrain>(caseId).GetAsync();
        var key = view?.Applicant.Key.ToUpperInvariant() ?? "";
        var expected = key.Length >= 6 ? Encoding.ASCII.GetBytes(key[^6..]) : Decoy;
        var matches = CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(given));
        return view is not null && key.Length >= 6 && matches
            ? TypedResults.Ok(CaseProgress.From(view))
            : OutcomeResults.NotFound("No such case.");
    }
}
