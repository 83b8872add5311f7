using System.Text.Json.Nodes;
using OneThing.Contracts.Cases;
using OneThing.Contracts.Catalog;
using OneThing.Contracts.Departments;
using OneThing.Contracts.FallbackDesk;
using OneThing.Contracts.Webhooks;

namespace OneThing.Api.Documentation;

/// <summary>Example bodies of the main requests, as a client would send them for the built-in <c>newborn</c> item.</summary>
internal static class Examples
{
    public static JsonNode? For(Type type) => type switch
    {
        _ when type == typeof(SubmitCaseRequest) => new JsonObject
        {
            ["itemCode"] = "newborn",
            ["channel"] = "online",
            ["applicant"] = new JsonObject { ["kind"] = "person", ["name"] = "张三", ["idNumber"] = "11010519491231002X", ["phone"] = "13800138000" },
            ["form"] = new JsonObject
            {
                ["babyName"] = "张小明",
                ["babyGender"] = "male",
                ["birthDate"] = "2026-03-01",
                ["birthHospital"] = "北京协和医院",
                ["motherName"] = "李四",
                ["motherIdNumber"] = "11010519491231002X",
                ["householdOf"] = "mother",
                ["householdAddress"] = "北京市东城区某街道1号",
                ["contactPhone"] = "13800138000",
            },
            ["materials"] = new JsonArray(
                new JsonObject
                {
                    ["code"] = "mother-id-card",
                    ["uri"] = "https://files.example.gov.cn/m/8f3a.pdf",
                    ["sha256"] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                },
                new JsonObject { ["code"] = "household-register", ["uri"] = "https://files.example.gov.cn/m/77c2.pdf" }),
            ["delivery"] = new JsonObject { ["method"] = "mail", ["address"] = "北京市东城区某街道1号" },
        },
        _ when type == typeof(CompleteTaskRequest) => new JsonObject { ["outputs"] = new JsonObject { ["birthCertificateNumber"] = "O110123456" } },
        _ when type == typeof(RejectTaskRequest) => new JsonObject { ["reason"] = "出生医学证明与申请信息不符" },
        _ when type == typeof(SupplementRequestRequest) => new JsonObject
        {
            ["materials"] = new JsonArray("household-register"),
            ["note"] = "请上传户口簿户主页和本人页的清晰扫描件",
        },
        _ when type == typeof(SupplyRequest) => new JsonObject
        {
            ["materials"] = new JsonArray(new JsonObject { ["code"] = "household-register", ["uri"] = "https://files.example.gov.cn/m/9c1d.pdf" }),
        },
        _ when type == typeof(WithdrawRequest) => new JsonObject { ["reason"] = "信息填写有误，重新申请" },
        _ when type == typeof(ProgressRequest) => new JsonObject { ["idNumberLast6"] = "31002X" },
        _ when type == typeof(EvaluationRequest) => new JsonObject { ["rating"] = 5, ["comment"] = "办理很快" },
        _ when type == typeof(CreateSubscriptionRequest) => new JsonObject
        {
            ["url"] = "https://hooks.example.gov.cn/onething",
            ["events"] = new JsonArray("TaskReady", "TaskCompleted"),
            ["description"] = "卫健委业务系统",
        },
        _ when type == typeof(ReplayRequest) => new JsonObject { ["fromPosition"] = 0 },
        _ when type == typeof(FileDeskRequest) => new JsonObject
        {
            ["applicant"] = new JsonObject { ["kind"] = "person", ["name"] = "张三", ["idNumber"] = "11010519491231002X" },
            ["description"] = "新生儿医保登记一直未办结",
        },
        _ when type == typeof(ResolveDeskEntryRequest) => new JsonObject { ["resolution"] = "已协调医保部门当日办结" },
        // Part of catalog/calendar/2026.json: New Year and the Spring Festival, and the weekend days worked in exchange.
        _ when type == typeof(CalendarYearRequest) => new JsonObject
        {
            ["holidays"] = new JsonArray("2026-01-01", "2026-01-02", "2026-01-03", "2026-02-15", "2026-02-16", "2026-02-17",
                "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23"),
            ["workingWeekends"] = new JsonArray("2026-01-04", "2026-02-14", "2026-02-28"),
        },
        // A shortened newborn: two form fields, one material, two matters, the second fed by the first's output.
        _ when type == typeof(ItemDefinition) => new JsonObject
        {
            ["code"] = "newborn",
            ["name"] = "新生儿出生一件事",
            ["version"] = 1,
            ["audience"] = "individual",
            ["leadDepartment"] = "health",
            ["timeLimit"] = new JsonObject { ["workingDays"] = 5 },
            ["description"] = "出生医学证明与户口登记一次申请、联动办理",
            ["form"] = new JsonArray(
                new JsonObject { ["name"] = "babyName", ["label"] = "新生儿姓名", ["type"] = "string", ["required"] = true },
                new JsonObject { ["name"] = "motherIdNumber", ["label"] = "母亲公民身份号码", ["type"] = "idNumber", ["required"] = true }),
            ["materials"] = new JsonArray(
                new JsonObject { ["code"] = "mother-id-card", ["name"] = "母亲居民身份证", ["required"] = true, ["deferrable"] = false }),
            ["matters"] = new JsonArray(
                new JsonObject
                {
                    ["code"] = "birth-certificate", ["name"] = "出生医学证明", ["department"] = "health", ["dependsOn"] = new JsonArray(),
                    ["optional"] = false, ["timeLimit"] = new JsonObject { ["workingDays"] = 1 }, ["inputs"] = new JsonArray("babyName", "motherIdNumber"),
                    ["outputs"] = new JsonArray("birthCertificateNumber"), ["certificate"] = "birthCertificateNumber",
                },
                new JsonObject
                {
                    ["code"] = "household-registration", ["name"] = "户口登记", ["department"] = "police", ["dependsOn"] = new JsonArray("birth-certificate"),
                    ["optional"] = false, ["timeLimit"] = new JsonObject { ["workingDays"] = 3 },
                    ["inputs"] = new JsonArray("birthCertificateNumber", "babyName", "motherIdNumber"),
                    ["outputs"] = new JsonArray("householdNumber", "citizenIdNumber"),
                }),
        },
        _ => null,
    };
}
