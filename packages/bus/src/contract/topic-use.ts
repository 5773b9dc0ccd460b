import { TOPICS, type StrataTopic } from '../topics.js'

/** A topic by its key in TOPICS (`errors`, `hotKeys`, ...). */
export type TopicId = keyof typeof TOPICS

/** Why a component produces or consumes each topic it touches, by topic id: one sentence each. */
export interface TopicUseDeclaration<P extends TopicId, C extends TopicId> {
  produces: Readonly<Record<P, string>>
  consumes: Readonly<Record<C, string>>
}

/**
 * What one component (a service, or a library that reads or writes a topic on its own) produces and consumes.
 * The component's code takes its topic names from `produced` / `consumed`, so a topic it did not declare does not
 * type-check; the AsyncAPI document's operations are generated from these declarations, and the topic-contract test
 * (services/platform/test/topic-contract.test.ts) reads each component's source against its declaration.
 */
export interface TopicUse<P extends TopicId = TopicId, C extends TopicId = TopicId> extends TopicUseDeclaration<P, C> {
  readonly component: string
  /** The addresses of the produced topics (TOPICS' defaults). */
  readonly produced: Readonly<Record<P, StrataTopic>>
  /** The addresses of the consumed topics (TOPICS' defaults). */
  readonly consumed: Readonly<Record<C, StrataTopic>>
}

/** Any component's declaration, whatever topics it names (what collections of declarations hold). */
export interface AnyTopicUse {
  readonly component: string
  readonly produces: Readonly<Partial<Record<TopicId, string>>>
  readonly consumes: Readonly<Partial<Record<TopicId, string>>>
  readonly produced: Readonly<Partial<Record<TopicId, StrataTopic>>>
  readonly consumed: Readonly<Partial<Record<TopicId, StrataTopic>>>
}

export function defineTopicUse<P extends TopicId = never, C extends TopicId = never>(
  component: string,
  declaration: { produces?: Readonly<Record<P, string>>; consumes?: Readonly<Record<C, string>> },
): TopicUse<P, C> {
  const produces = (declaration.produces ?? {}) as Readonly<Record<P, string>>
  const consumes = (declaration.consumes ?? {}) as Readonly<Record<C, string>>
  const addresses = <K extends TopicId>(ids: Readonly<Record<K, string>>): Record<K, StrataTopic> =>
    Object.fromEntries(Object.keys(ids).map((id): [string, StrataTopic] => [id, TOPICS[id as K]])) as Record<K, StrataTopic>
  return Object.freeze({ component, produces, consumes, produced: Object.freeze(addresses(produces)), consumed: Object.freeze(addresses(consumes)) })
}

/** The topic ids a declaration names that TOPICS does not know (a declaration built around the types). */
function unknownIds(use: AnyTopicUse): string[] {
  return [...Object.keys(use.produces), ...Object.keys(use.consumes)].filter((id) => !Object.hasOwn(TOPICS, id))
}

/** Declarations that cannot be read at all: a component named twice, a topic id TOPICS does not have. */
export function topicDeclarationProblems(uses: readonly AnyTopicUse[]): string[] {
  const problems: string[] = []
  const names = new Set<string>()
  for (const use of uses) {
    if (names.has(use.component)) problems.push(`component '${use.component}' is declared twice`)
    names.add(use.component)
    for (const id of unknownIds(use)) problems.push(`${use.component} declares '${id}', which is not a topic in TOPICS`)
  }
  return problems
}

/**
 * What is wrong with a set of declarations as the whole platform's contract: besides topicDeclarationProblems, every
 * topic in TOPICS needs at least one producer and one consumer (a topic nobody reads is a cost with no use; one nobody
 * writes is a promise no code keeps). Empty when the contract holds.
 */
export function topicContractProblems(uses: readonly AnyTopicUse[]): string[] {
  const problems = topicDeclarationProblems(uses)
  for (const [id, address] of Object.entries(TOPICS)) {
    if (!uses.some((use) => Object.hasOwn(use.produces, id))) problems.push(`${address} (${id}) has no declared producer`)
    if (!uses.some((use) => Object.hasOwn(use.consumes, id))) problems.push(`${address} (${id}) has no declared consumer`)
  }
  return problems
}
