// The policy area's public door: policy files → plans.
export type { Guards, NoticeMoment, NotifySpec, OnFailure, Plan, PlanStep } from './plan.ts'
