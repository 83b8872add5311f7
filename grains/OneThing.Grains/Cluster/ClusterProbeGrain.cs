using Orleans.Concurrency;
using Orleans.Runtime;

namespace OneThing.Grains.Cluster;

[StatelessWorker]
public sealed class ClusterProbeGrain(ILocalSiloDetails silo) : Grain, IClusterProbeGrain
{
    public Task<string> PingAsync() => Task.FromResult(silo.Name);
}
