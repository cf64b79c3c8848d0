package org.stapfarm.service;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The `_REQ` graph: which script requires which. A script starts after everything it requires and stops before
 * it. Each name is visited once, so a requirement shared by several scripts appears once, before all of them
 * (upstream repeated it and could stop it before a script that needed it, spec §3.5, §5.6 item 52); a cycle is
 * reported with the whole cycle.
 */
final class Dependencies {

    private final Map<String, List<String>> requires;

    /** @param requires each script's requirements, in `_REQ` order; names without an entry require nothing */
    Dependencies(Map<String, List<String>> requires) {
        this.requires = Map.copyOf(requires);
    }

    List<String> requirements(String name) {
        return requires.getOrDefault(name, List.of());
    }

    /** The first cycle found, as `a -> b -> a`, visiting names in sorted order so the report is stable. */
    Optional<String> cycle() {
        Map<String, Boolean> finished = new HashMap<>();
        List<String> path = new ArrayList<>();
        for (String name : requires.keySet().stream().sorted().toList()) {
            Optional<String> cycle = cycleFrom(name, finished, path);
            if (cycle.isPresent()) {
                return cycle;
            }
        }
        return Optional.empty();
    }

    /** {@code finished} holds true for names whose requirements are all explored, false for those on the path. */
    private Optional<String> cycleFrom(String name, Map<String, Boolean> finished, List<String> path) {
        Boolean state = finished.get(name);
        if (Boolean.TRUE.equals(state)) {
            return Optional.empty();
        }
        if (Boolean.FALSE.equals(state)) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(name), path.size()));
            cycle.add(name);
            return Optional.of(String.join(" -> ", cycle));
        }
        finished.put(name, false);
        path.add(name);
        for (String requirement : requirements(name)) {
            Optional<String> cycle = cycleFrom(requirement, finished, path);
            if (cycle.isPresent()) {
                return cycle;
            }
        }
        path.remove(path.size() - 1);
        finished.put(name, true);
        return Optional.empty();
    }

    /** {@code names} in their order, then everything they require, directly or not. */
    Set<String> withRequirements(Collection<String> names) {
        Set<String> closure = new LinkedHashSet<>(names);
        List<String> pending = new ArrayList<>(closure);
        for (int next = 0; next < pending.size(); next++) {
            for (String requirement : requirements(pending.get(next))) {
                if (closure.add(requirement)) {
                    pending.add(requirement);
                }
            }
        }
        return closure;
    }

    /** {@code names} and every member of {@code among} that requires one of them, directly or through others. */
    Set<String> withDependents(Collection<String> names, Collection<String> among) {
        Set<String> closure = new LinkedHashSet<>(names);
        boolean grown = true;
        while (grown) {
            grown = false;
            for (String candidate : among) {
                if (!closure.contains(candidate) && requirements(candidate).stream().anyMatch(closure::contains)) {
                    closure.add(candidate);
                    grown = true;
                }
            }
        }
        return closure;
    }

    /**
     * {@code names} without repeats, each after the ones among them it requires (through names outside the set
     * too), otherwise in the given order. The graph must be acyclic ({@link #cycle}).
     */
    List<String> startOrder(Collection<String> names) {
        Set<String> members = new LinkedHashSet<>(names);
        List<String> order = new ArrayList<>();
        Set<String> visited = new HashSet<>();
        for (String name : members) {
            visit(name, members, visited, order);
        }
        return order;
    }

    private void visit(String name, Set<String> members, Set<String> visited, List<String> order) {
        if (!visited.add(name)) {
            return;
        }
        for (String requirement : requirements(name)) {
            visit(requirement, members, visited, order);
        }
        if (members.contains(name)) {
            order.add(name);
        }
    }

    /** The reverse of {@link #startOrder}: dependents before what they require. */
    List<String> stopOrder(Collection<String> names) {
        List<String> order = new ArrayList<>(startOrder(names));
        Collections.reverse(order);
        return order;
    }
}
