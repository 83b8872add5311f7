using System.ComponentModel.DataAnnotations;

namespace OneThing.Silo.Hosting;

/// <summary>
/// Settings of section <c>OneThing:Cluster</c>. The defaults suit one silo on 127.0.0.1; a second silo on the
/// same machine needs only other ports (e.g. <c>OneThing__Cluster__SiloPort</c>).
/// </summary>
public sealed class OneThingClusterOptions
{
    public const string SectionName = "OneThing:Cluster";

    [Required]
    public string ClusterId { get; set; } = "onething";

    [Required]
    public string ServiceId { get; set; } = "onething";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos and clients use to reach this silo. Loopback by default.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// In a Kubernetes pod: the silo advertises the pod's IP (<c>POD_IP</c>) instead of <see cref="AdvertisedAddress"/>,
    /// listens on every interface, is named after its pod (<c>POD_NAME</c>), and a silo whose pod is deleted is declared
    /// dead at once rather than after missed probes. The pod's service account needs get, list, watch and patch on pods.
    /// </summary>
    public bool KubernetesHosting { get; set; }

    /// <summary>
    /// How long a silo waits for another's answer to a liveness probe. With <see cref="MissedProbesLimit"/> it bounds
    /// how long a crashed silo's grains stay unreachable: about timeout × limit (Orleans' defaults, 5 s × 3, left
    /// clients without those cases for 15–20 s; 2 s × 3 keeps it under 10 s while a loaded silo that answers late is
    /// still given time, and Orleans extends the timeout when the probing silo itself is degraded).
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Probes in a row a silo may miss before the others vote it dead.</summary>
    [Range(1, 10)]
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>
    /// How long a grain call between silos may go unanswered (a department task forwarding to its case on a silo
    /// that just crashed). Orleans' default is 30 s; the API's own limit (<c>OneThing:Cluster:ResponseTimeout</c>
    /// there, 8 s) is shorter, so this one only frees the silo's resources.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a graceful shutdown (leave the membership, deactivate grains) may take.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
