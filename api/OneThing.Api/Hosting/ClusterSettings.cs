namespace OneThing.Api.Hosting;

/// <summary>
/// The part of section <c>OneThing:Cluster</c> a client needs: it finds the silos' gateways through the
/// PostgreSQL membership table of this cluster.
/// </summary>
public sealed class ClusterSettings
{
    public const string SectionName = "OneThing:Cluster";

    public string ClusterId { get; set; } = "onething";

    public string ServiceId { get; set; } = "onething";

    /// <summary>
    /// How long a grain call may go unanswered before the request fails with 503 (Retry-After). A request already
    /// sent to a silo that then crashed gets no answer at all; Orleans' 30 s default kept such clients waiting, and
    /// failing, for 30 s after a silo died. Every operation is idempotent, so the client's retry is safe.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>Pause between attempts to reach the cluster while no silo answers yet.</summary>
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromSeconds(2);
}
