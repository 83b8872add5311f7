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

    /// <summary>Pause between attempts to reach the cluster while no silo answers yet.</summary>
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromSeconds(2);
}
