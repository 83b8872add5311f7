using OneThing.Grains.Hosting;

namespace OneThing.Bench.Storage;

[Alias("onething.bench.IStorageBenchGrain")]
public interface IStorageBenchGrain : IGrainWithIntegerKey
{
    /// <summary>Changes the state and awaits its durable write.</summary>
    [Alias("Write")]
    Task WriteAsync(int sequence);
}

[GenerateSerializer, Alias("onething.bench.StorageBenchState")]
public sealed class StorageBenchState
{
    [Id(0)] public int Sequence { get; set; }

    // A payload about the size of a small case record, so both sides of the comparison move similar bytes.
    [Id(1)] public string Payload { get; set; } = "";
}

public sealed class StorageBenchGrain(
    [PersistentState("bench-storage", GrainStorage.Main)] IPersistentState<StorageBenchState> state) : Grain, IStorageBenchGrain
{
    public async Task WriteAsync(int sequence)
    {
        state.State.Sequence = sequence;
        if (state.State.Payload.Length == 0)
        {
            state.State.Payload = new string('x', StorageScenario.PayloadBytes);
        }
        await state.WriteStateAsync();
    }
}
