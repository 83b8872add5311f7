namespace OneThing.Grains.Cluster;

/// <summary>
/// Answers readiness probes. A stateless worker, so probes are served by a local activation on whichever silo the
/// client reaches and never pile onto a single grain.
/// </summary>
[Alias("onething.IClusterProbeGrain")]
public interface IClusterProbeGrain : IGrainWithIntegerKey
{
    [Alias("Ping")]
    Task<string> PingAsync();
}
