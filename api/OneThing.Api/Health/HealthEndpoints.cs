using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using OneThing.Api.Hosting;
using OneThing.Contracts.Ops;
using OneThing.Grains.Cluster;

namespace OneThing.Api.Health;

public static class HealthEndpoints
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/health").WithTags("Health").AllowAnonymous();
        group.MapGet("/live", Live);
        group.MapGet("/ready", ReadyAsync);
        return routes;
    }

    /// <summary>The process is up and serving HTTP.</summary>
    public static Ok<HealthReport> Live() => TypedResults.Ok(new HealthReport("live", null, null));

    /// <summary>
    /// Ready only when PostgreSQL answers and a silo of the cluster answers through the client, and not once the
    /// instance is draining (<see cref="GracefulDrain"/>).
    /// </summary>
    public static async Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> ReadyAsync(
        NpgsqlDataSource database, IClusterClient cluster, GracefulDrain drain, CancellationToken cancellationToken)
    {
        if (drain.IsDraining)
        {
            return TypedResults.Json(new HealthReport("draining", null, null), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);

        var databaseStatus = await ProbeAsync(async () =>
        {
            await using var command = database.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
        });
        var clusterStatus = await ProbeAsync(() => cluster.GetGrain<IClusterProbeGrain>(0).PingAsync().WaitAsync(timeout.Token));

        var report = new HealthReport(databaseStatus == "ok" && clusterStatus == "ok" ? "ready" : "unavailable", databaseStatus, clusterStatus);
        return report.Status == "ready"
            ? TypedResults.Ok(report)
            : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<string> ProbeAsync(Func<Task> probe)
    {
        try
        {
            await probe();
            return "ok";
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // Readiness reports the failure instead of throwing it: a probe must answer, not fail.
            return ProbeFailure(error);
        }
    }

    /// <summary>A failed probe as the anonymous endpoint may say it: whether it timed out, never what threw.</summary>
    public static string ProbeFailure(Exception error) => error is OperationCanceledException ? "timeout" : "failed";
}
