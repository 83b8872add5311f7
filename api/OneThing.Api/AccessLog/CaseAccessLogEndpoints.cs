using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OneThing.Api.Auth;
using OneThing.Api.Common;
using OneThing.Contracts;
using OneThing.Contracts.Cases;
using OneThing.Grains.Cases;
using OneThing.Grains.Common;

namespace OneThing.Api.AccessLog;

public static class CaseAccessLogEndpoints
{
    public static IServiceCollection AddCaseAccessLog(this IServiceCollection services)
    {
        services.AddOptions<CaseAccessLogOptions>()
            .BindConfiguration(CaseAccessLogOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CaseAccessLog>();
        services.AddHostedService(provider => provider.GetRequiredService<CaseAccessLog>());
        return services;
    }

    /// <summary>Who read a case's data: for the applicant's channel and for ops.</summary>
    public static RouteHandlerBuilder MapCaseAccessLog(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/cases/{caseId}/access-log", ListAsync)
            .DocumentsQueryNumbers("page", "pageSize")
            .WithTags("Cases")
            .RequireAuthorization(policy => policy.RequireRole(Roles.Portal, Roles.Ops));

    /// <summary>
    /// Reads of the case by departments and ops, newest first. Rows are written in batches, so a read shows here
    /// within a flush interval (<c>OneThing:AccessLog:FlushInterval</c>).
    /// </summary>
    public static async Task<Results<Ok<PageOf<CaseAccessEntry>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        string caseId, string? page, string? pageSize, IClusterClient cluster, NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var paging = Paging.Read(page, pageSize, errors);
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        if (await cluster.Reference<ICaseGrain>(caseId).GetDocumentAsync() is null)
        {
            return OutcomeResults.NotFound("No such case.");
        }

        await using var command = database.CreateCommand("""
            SELECT at, role, name, department, route, count(*) OVER () AS total
            FROM onething_case_access_log
            WHERE case_id = $1
            ORDER BY at DESC, id DESC
            LIMIT $2 OFFSET $3
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = paging.Size });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)(paging.Page - 1) * paging.Size });
        var items = new List<CaseAccessEntry>();
        long total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new CaseAccessEntry(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4)));
                total = reader.GetInt64(5);
            }
        }
        if (items.Count == 0 && paging.Page > 1)
        {
            await using var count = database.CreateCommand("SELECT count(*) FROM onething_case_access_log WHERE case_id = $1");
            count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
            total = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }
        return TypedResults.Ok(new PageOf<CaseAccessEntry>(items, paging.Page, paging.Size, total));
    }
}
