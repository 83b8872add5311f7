using OneThing.Grains.Hosting;
using Orleans.Runtime;

namespace OneThing.Tests.Foundation;

/// <summary>A grain whose only job is to persist a counter, so storage behaviour can be observed.</summary>
[Alias("onething.tests.ICounterGrain")]
public interface ICounterGrain : IGrainWithStringKey
{
    [Alias("Increment")]
    Task<int> IncrementAsync(string note);

    [Alias("Get")]
    Task<CounterState> GetAsync();

    [Alias("Silo")]
    Task<string> GetSiloAsync();
}

[GenerateSerializer, Alias("onething.tests.CounterState")]
public sealed class CounterState
{
    [Id(0)] public int Count { get; set; }

    [Id(1)] public string LastNote { get; set; } = "";

    [Id(2)] public List<DateTimeOffset> ReminderTicks { get; set; } = [];
}

public sealed class CounterGrain(
    [PersistentState("test-counter", GrainStorage.Main)] IPersistentState<CounterState> state,
    ILocalSiloDetails silo) : Grain, ICounterGrain
{
    public async Task<int> IncrementAsync(string note)
    {
        state.State.Count++;
        state.State.LastNote = note;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<CounterState> GetAsync() => Task.FromResult(state.State);

    public Task<string> GetSiloAsync() => Task.FromResult(silo.SiloAddress.ToString());
}

/// <summary>Registers a reminder and durably records every tick it receives.</summary>
[Alias("onething.tests.IReminderProbeGrain")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    [Alias("Start")]
    Task StartAsync(TimeSpan dueTime, TimeSpan period);

    [Alias("Ticks")]
    Task<List<DateTimeOffset>> GetTicksAsync();

    [Alias("Silo")]
    Task<string> GetSiloAsync();
}

public sealed class ReminderProbeGrain(
    [PersistentState("test-reminder-probe", GrainStorage.Main)] IPersistentState<CounterState> state,
    ILocalSiloDetails silo) : Grain, IReminderProbeGrain, IRemindable
{
    public async Task StartAsync(TimeSpan dueTime, TimeSpan period) =>
        await this.RegisterOrUpdateReminder("probe", dueTime, period);

    public Task<List<DateTimeOffset>> GetTicksAsync() => Task.FromResult(state.State.ReminderTicks);

    public Task<string> GetSiloAsync() => Task.FromResult(silo.SiloAddress.ToString());

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        state.State.ReminderTicks.Add(DateTimeOffset.UtcNow);
        await state.WriteStateAsync();
    }
}
