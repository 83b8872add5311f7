using System.ComponentModel.DataAnnotations;

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
    /// How long one attempt of a grain call may go unanswered. A call already sent to a silo that then crashed gets no
    /// answer at all (Orleans 10 has no client setting that fails it when the gateway connection drops), so this bounds
    /// how long such a call waits before <see cref="SiloLossRetry"/> sends it again; a call that times out while no
    /// silo was lost is not retried and becomes a 503 (Retry-After). Well above the slowest calls measured under load
    /// (bench/README.md), so a busy cluster is not mistaken for a dead silo.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// Most attempts of one grain call (the first included) when calls fail because a silo died; see
    /// <see cref="SiloLossRetry"/>. 1 turns the retry off.
    /// </summary>
    [Range(1, 100)]
    public int CallRetryAttempts { get; set; } = 20;

    /// <summary>
    /// How long after a grain call's first attempt a retry may still start. Longer than the silos' time to declare a
    /// dead silo (ProbeTimeout × MissedProbesLimit, 6 s by default), so that a grain that lived there is reached on
    /// its new silo; an attempt then waits at most <see cref="ResponseTimeout"/> more.
    /// </summary>
    public TimeSpan CallRetryBudget { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Pause between attempts to reach the cluster while no silo answers yet.</summary>
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromSeconds(2);
}
