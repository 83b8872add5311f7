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

    /// <summary>How long a graceful shutdown (leave the membership, deactivate grains) may take.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
