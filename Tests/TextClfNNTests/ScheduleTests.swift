import Foundation
import Testing
import TextClfNN
import TextClfTensor

@Suite("Learning-rate schedules")
struct ScheduleTests {
    static let fixture = OptimizerFixture.shared

    static func schedule(_ run: OptimizerFixture.Run) -> (any LearningRateSchedule)? {
        let h = run.hyper
        let lr0 = run.lr0!
        switch run.kind {
        case "step": return StepDecaySchedule(initialLearningRate: lr0, stepSize: h.step_size!, gamma: h.gamma!)
        case "multistep": return MultiStepSchedule(initialLearningRate: lr0, milestones: h.milestones!, gamma: h.gamma!)
        case "exponential": return ExponentialSchedule(initialLearningRate: lr0, gamma: h.gamma!)
        case "cosine": return CosineAnnealingSchedule(initialLearningRate: lr0, period: h.T_max!, minimumLearningRate: h.eta_min!)
        case "linear":
            return LinearWarmupSchedule(initialLearningRate: lr0, startFactor: h.start_factor!, endFactor: h.end_factor!, steps: h.total_iters!)
        default: return nil
        }
    }

    static func plateau(_ run: OptimizerFixture.Run) -> ReduceLROnPlateau {
        let h = run.hyper
        return ReduceLROnPlateau(
            initialLearningRate: run.lr[0], mode: h.mode == "max" ? .max : .min, factor: h.factor!, patience: h.patience!,
            threshold: h.threshold!, cooldown: h.cooldown!, minimumLearningRate: h.min_lr!)
    }

    @Test("SGD driven by a schedule matches torch.optim.lr_scheduler (rates and 50 steps)", arguments: fixture.schedules.map(\.name), Device.available)
    func drivenTrajectory(name: String, device: Device) throws {
        let fixture = Self.fixture
        let run = try #require(fixture.schedules.first { $0.name == name })
        let (W, b) = try fixture.parameters(on: device)
        let optimizer = SGD(learningRate: run.lr0!)
        let schedule = Self.schedule(run)
        let plateau = run.kind == "plateau" ? Self.plateau(run) : nil
        for step in 0..<fixture.steps {
            schedule?.apply(to: optimizer, step: step)
            #expect(mismatch([optimizer.learningRate], [Float(run.lr[step])], relative: 1e-6, absolute: 1e-9) == nil,
                "\(name): lr of step \(step): \(optimizer.learningRate) != \(run.lr[step])")
            try fixture.computeGradients(W, b)
            try optimizer.step([W, b])
            if let plateau { plateau.step(Double(try fixture.loss(W, b)), updating: optimizer) }
            if let problem = mismatch(W.value.scalars, run.W[step]) ?? mismatch(b.value.scalars, run.b[step]) {
                Issue.record("\(name) on \(device): after step \(step + 1): \(problem)")
                return
            }
        }
    }

    @Test("ReduceLROnPlateau fed torch's losses gives torch's rates exactly")
    func plateauExact() throws {
        let run = try #require(Self.fixture.schedules.first { $0.kind == "plateau" })
        let plateau = Self.plateau(run)
        for step in 0..<Self.fixture.steps - 1 {
            plateau.step(run.loss[step])
            #expect(plateau.currentLearningRate == run.lr[step + 1], "after step \(step)")
        }
    }

    @Test("ReduceLROnPlateau modes, cooldown and minimum")
    func plateauModes() {
        let maximise = ReduceLROnPlateau(initialLearningRate: 1, mode: .max, factor: 0.5, patience: 1, thresholdMode: .absolute)
        #expect(maximise.step(0.5) == 1)  // best 0.5
        #expect(maximise.step(0.5) == 1)  // 1 bad epoch
        #expect(maximise.step(0.4) == 0.5)  // 2 bad epochs > patience
        #expect(maximise.step(0.6) == 0.5)  // improvement
        let floor = ReduceLROnPlateau(initialLearningRate: 1, factor: 0.1, patience: 0, cooldown: 2, minimumLearningRate: 0.05)
        #expect(floor.step(1) == 1)
        #expect(floor.step(1) == 0.1)  // reduced, cooldown 2
        #expect(floor.step(1) == 0.1)  // cooldown
        #expect(floor.step(1) == 0.1)  // cooldown
        #expect(floor.step(1) == 0.05)  // reduced to the minimum
        #expect(floor.step(1) == 0.05)
    }

    @Test("closed forms: constant, inverse time, cosine periodicity, warm-up end")
    func closedForms() {
        #expect(ConstantSchedule(0.3).learningRate(at: 17) == 0.3)
        let inverse = InverseTimeSchedule(initialLearningRate: 0.5, decay: 0.1)
        let inverseRoot = InverseTimeSchedule(initialLearningRate: 0.5, decay: 0.1, squareRoot: true)
        for t in [0, 1, 7, 100] {
            #expect(inverse.learningRate(at: t) == Float(0.5 / (1 + Double(Float(0.1)) * Double(t))))
            #expect(inverseRoot.learningRate(at: t) == Float(0.5 / (1 + Double(Float(0.1)) * Double(t)).squareRoot()))
        }
        let cosine = CosineAnnealingSchedule(initialLearningRate: 1, period: 10, minimumLearningRate: 0.1)
        #expect(cosine.learningRate(at: 0) == 1)
        #expect(abs(cosine.learningRate(at: 10) - 0.1) < 1e-7)
        #expect(abs(cosine.learningRate(at: 5) - 0.55) < 1e-7)
        #expect(abs(cosine.learningRate(at: 20) - 1) < 1e-7)
        let warmup = LinearWarmupSchedule(initialLearningRate: 2, startFactor: 0.25, steps: 4)
        #expect(warmup.learningRate(at: 0) == 0.5)
        #expect(warmup.learningRate(at: 2) == 1.25)
        #expect(warmup.learningRate(at: 4) == 2)
        #expect(warmup.learningRate(at: 40) == 2)
        #expect(MultiStepSchedule(initialLearningRate: 1, milestones: [3, 3], gamma: 0.5).learningRate(at: 3) == 0.25)
    }
}
